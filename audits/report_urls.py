from django.urls import path

from audits import finance_views, report_views

app_name = "reports"

urlpatterns = [
    path("dashboard/", report_views.DashboardView.as_view(), name="dashboard"),
    path("ranking/", report_views.RankingView.as_view(), name="ranking"),
    path("clients/<int:pk>/profitability/", report_views.ClientProfitView.as_view(), name="client"),
    path("payments/", finance_views.PaymentsView.as_view(), name="payments"),
    path("prospects/", finance_views.ProspectsView.as_view(), name="prospects"),
]
