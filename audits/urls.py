from django.urls import path

from audits import views

app_name = "audits"

urlpatterns = [
    path("seed-calculator/", views.SeedCalculatorView.as_view(), name="seed_calculator"),
    path("recompute/", views.RecomputeView.as_view(), name="recompute"),
    path("recompute/runs/<int:pk>/", views.RunStatusView.as_view(), name="run_status"),
]
