"""The imports page (finance and admins): upload, preview, confirm, follow a background import."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views import View

from clients.imports import files, jobs
from clients.models import ImportJob
from config.celery import QueueUnavailable


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=ImportJob.Kind.choices)
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "CSV (UTF-8 or Windows-1252, comma or semicolon) or XLSX, with a header line."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
        allow_empty_file=True,
    )


class ImportPermissionMixin(PermissionRequiredMixin):
    permission_required = "clients.import_data"


QUEUE_UNREACHABLE = gettext_lazy("The task queue cannot be reached: nothing was imported. Try again later.")


class ImportIndexView(ImportPermissionMixin, View):
    template_name = "clients/imports/index.html"

    def get(self, request):
        kind = request.GET.get("kind")
        initial = {"kind": kind} if kind in ImportJob.Kind.values else {}
        return self.render(request, ImportForm(initial=initial))

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > files.MAX_FILE_BYTES:
                form.add_error(
                    "file",
                    _("The file is larger than %(size)d MB.") % {"size": files.MAX_FILE_BYTES // 2**20},
                )
            else:
                try:
                    job = jobs.import_job_create(
                        user=request.user,
                        kind=form.cleaned_data["kind"],
                        filename=upload.name,
                        content=upload.read(),
                        language=get_language(),
                    )
                except files.ImportFileError as exc:
                    form.add_error("file", exc.message)
                except QueueUnavailable:
                    form.add_error("file", QUEUE_UNREACHABLE)
                else:
                    return redirect(job)
        return self.render(request, form)

    def render(self, request, form):
        kinds = [(value, label, files.import_columns(kind=value)) for value, label in ImportJob.Kind.choices]
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "kinds": kinds,
                "jobs": jobs.import_jobs_recent(user=request.user),
                "background_rows": settings.IMPORT_BACKGROUND_ROWS,
            },
        )


class ImportTemplateView(ImportPermissionMixin, View):
    def get(self, request, kind):
        if kind not in ImportJob.Kind.values:
            raise Http404(_("No such kind of import."))
        response = HttpResponse(files.import_template_csv(kind=kind), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
        return response


class ImportJobView(ImportPermissionMixin, View):
    template_name = "clients/imports/job.html"

    def get(self, request, pk):
        job = jobs.import_job_get_for_user(user=request.user, pk=pk)
        return render(
            request,
            self.template_name,
            {
                "job": job,
                "columns": files.import_columns(kind=job.kind),
                "encoding": files.file_encoding(filename=job.filename, content=bytes(job.content)),
            },
        )


class ImportJobStatusView(ImportPermissionMixin, View):
    def get(self, request, pk):
        job = jobs.import_job_get_for_user(user=request.user, pk=pk)
        return JsonResponse(
            {
                "status": job.status,
                "label": job.get_status_display(),
                "running": job.is_running,
                "processed": job.processed_rows,
                "total": job.total_rows,
                "percent": job.progress_percent,
            }
        )


class ImportJobConfirmView(ImportPermissionMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        job = jobs.import_job_get_for_user(user=request.user, pk=pk)
        try:
            confirmed = jobs.import_job_confirm(job=job)
        except QueueUnavailable:
            messages.error(request, QUEUE_UNREACHABLE)
            return redirect(job)
        if not confirmed:
            messages.error(request, _("This file cannot be imported: check its errors, or upload it again."))
        else:
            job.refresh_from_db()
            if job.status == ImportJob.Status.IMPORTED:
                messages.success(request, _("The file was imported."))
            elif job.status == ImportJob.Status.FAILED:
                messages.error(request, _("Nothing was imported: the file has errors."))
        return redirect(job)
