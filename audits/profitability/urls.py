from django.urls import path

from audits.profitability import views

app_name = "profitability"

urlpatterns = [
    path("profitability/seed-calculator/", views.SeedCalculatorView.as_view(), name="seed_calculator"),
    path("profitability/recompute/", views.RecomputeView.as_view(), name="recompute"),
    path("profitability/recompute/runs/<int:pk>/", views.RunStatusView.as_view(), name="run_status"),
    path("settings/costs/", views.CostSettingsView.as_view(), name="cost_settings"),
]
