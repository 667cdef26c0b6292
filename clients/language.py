"""The language each user reads the app in, kept with their account: the log-in sets the language
cookie from it, and picking a language saves it (Django's ``set_language`` does the rest)."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from clients.models import Preference


def _keep(response, language: str):
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


class LogInForm(AuthenticationForm):
    # Django's sentences, made the project's so that its catalogs can mend their translations.
    error_messages = {
        "invalid_login": _(
            "Please enter a correct %(username)s and password. Note that both fields may be case-sensitive."
        ),
        "inactive": _("This account is inactive."),
    }


class LogInView(auth_views.LoginView):
    """Django's log-in, which then opens the app in the language the user last picked."""

    form_class = LogInForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        language = Preference.objects.filter(user=form.get_user()).values_list("language", flat=True).first()
        return _keep(response, language) if language else response


def language_set(request):
    """Django's ``set_language``; a logged-in user's choice is also kept with their account."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and language in dict(settings.LANGUAGES):
        Preference.objects.update_or_create(user=request.user, defaults={"language": language})
    return response
