from django.urls import include, path

from clients.imports import views

app_name = "imports"

# The pages of one job, under its id.
job_patterns = [
    path("", views.ImportJobView.as_view(), name="detail"),
    path("status/", views.ImportJobStatusView.as_view(), name="status"),
    path("confirm/", views.ImportJobConfirmView.as_view(), name="confirm"),
]

urlpatterns = [
    path("", views.ImportIndexView.as_view(), name="index"),
    path("template/<slug:kind>.csv", views.ImportTemplateView.as_view(), name="template"),
    path("<uuid:pk>/", include(job_patterns)),
]
