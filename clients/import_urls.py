from django.urls import path

from clients import import_views

app_name = "imports"

urlpatterns = [
    path("", import_views.ImportIndexView.as_view(), name="index"),
    path("template/<slug:kind>.csv", import_views.ImportTemplateView.as_view(), name="template"),
    path("<uuid:pk>/", import_views.ImportJobView.as_view(), name="detail"),
    path("<uuid:pk>/status/", import_views.ImportJobStatusView.as_view(), name="status"),
    path("<uuid:pk>/confirm/", import_views.ImportJobConfirmView.as_view(), name="confirm"),
]
