from django.urls import path

from audits.review import actions, views

app_name = "review"

urlpatterns = [
    path("", views.AuditListView.as_view(), name="list"),
    path("new/", views.AuditStartView.as_view(), name="start"),
    path("<int:pk>/", views.AuditDetailView.as_view(), name="detail"),
    path("<int:pk>/status/", views.AuditStatusView.as_view(), name="status"),
    path("<int:pk>/identify/", views.ClientStepView.as_view(step=1), name="identify"),
    path("<int:pk>/costs/", views.ClientStepView.as_view(step=2), name="costs"),
    path("<int:pk>/rank/", views.ClientStepView.as_view(step=3), name="rank"),
    path("<int:pk>/flags/", views.FlagStepView.as_view(), name="flags"),
    path("<int:pk>/strategy/", views.StrategyStepView.as_view(), name="strategy"),
    path("<int:pk>/move/", actions.MoveView.as_view(), name="move"),
    path("<int:pk>/refresh/", actions.RefreshView.as_view(), name="refresh"),
    path("<int:pk>/checks/", actions.CheckView.as_view(), name="check"),
    path("<int:pk>/costs/expense/", actions.ExpenseView.as_view(), name="expense"),
    path("<int:pk>/costs/staff-cost/", actions.StaffCostView.as_view(), name="staff_cost"),
    path("<int:pk>/flags/<int:client_id>/review/", actions.ReviewView.as_view(), name="review"),
    path("<int:pk>/flags/<int:client_id>/comment/", actions.CommentView.as_view(), name="comment"),
    path("<int:pk>/strategy/<int:client_id>/decision/", actions.DecisionView.as_view(), name="decision"),
    path("<int:pk>/strategy/invest/", actions.InvestView.as_view(), name="invest"),
    path("<int:pk>/strategy/risks/", actions.RiskView.as_view(), name="risk"),
    path("<int:pk>/report.xlsx", views.ReportView.as_view(), name="report"),
    path("<int:pk>/report.pdf", views.ReportPdfView.as_view(), name="report_pdf"),
    path("<int:pk>/complete/", actions.CompleteView.as_view(), name="complete"),
]
