from django.urls import path

from audits import finance_views

# Included in the ``reports`` namespace by audits/reports/urls.py.
urlpatterns = [
    path("settings/costs/", finance_views.CostSettingsView.as_view(), name="cost_settings"),
]
