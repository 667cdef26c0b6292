from django.urls import include, path

from audits.profitability import views

app_name = "profitability"

# The recompute (finance) and the seed calculator, under /profitability/.
profitability_patterns = [
    path("seed-calculator/", views.SeedCalculatorView.as_view(), name="seed_calculator"),
    path("recompute/", views.RecomputeView.as_view(), name="recompute"),
    path("recompute/runs/<int:pk>/", views.RunStatusView.as_view(), name="run_status"),
]

urlpatterns = [
    path("profitability/", include(profitability_patterns)),
    path("settings/costs/", views.CostSettingsView.as_view(), name="cost_settings"),
]
