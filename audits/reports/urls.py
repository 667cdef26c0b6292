from django.urls import path

from audits.reports import views

app_name = "reports"

urlpatterns = [
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("ranking/", views.RankingView.as_view(), name="ranking"),
    path("clients/<int:pk>/profitability/", views.ClientProfitView.as_view(), name="client"),
    path("payments/", views.PaymentsView.as_view(), name="payments"),
    path("prospects/", views.ProspectsView.as_view(), name="prospects"),
]
