from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

from clients.language import LogInView, language_set
from clients.urls import interaction_patterns
from config.health import healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="reports:dashboard"), name="home"),
    path("accounts/login/", LogInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
    path("i18n/setlang/", login_not_required(language_set), name="set_language"),
    path("", include("audits.reports.urls")),
    path("clients/", include("clients.urls")),
    path("interactions/", include((interaction_patterns, "interactions"))),
    path("imports/", include("clients.imports.urls")),
    path("", include("audits.profitability.urls")),
    path("", include("audits.transitions.urls")),
    path("audits/", include("audits.review.urls")),
    path("admin/", admin.site.urls),
]
