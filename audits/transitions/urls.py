from django.urls import path

from audits.transitions import letter_views, views

app_name = "transitions"

urlpatterns = [
    path("transitions/", views.TransitionListView.as_view(), name="list"),
    path("transitions/new/", views.TransitionCreateView.as_view(), name="create"),
    path("transitions/cash-flow/", views.CashflowView.as_view(), name="cashflow"),
    path("transitions/<int:pk>/", views.TransitionDetailView.as_view(), name="detail"),
    path("transitions/<int:pk>/stage/", views.StageView.as_view(), name="stage"),
    path("transitions/<int:pk>/schedule/", views.ScheduleView.as_view(), name="schedule"),
    path("transitions/<int:pk>/alternatives/", views.TransitionProvidersView.as_view(), name="alternatives"),
    path(
        "transitions/<int:pk>/letters/<slug:kind>/",
        letter_views.LetterDraftView.as_view(),
        name="letter_draft",
    ),
    path("clients/<int:pk>/transitions/", views.ClientTransitionsView.as_view(), name="client"),
    path("letters/<int:pk>/", letter_views.LetterView.as_view(), name="letter"),
    path("letters/<int:pk>/send/", letter_views.LetterSendView.as_view(), name="letter_send"),
    path("letters/<int:pk>/pdf/", letter_views.LetterPdfView.as_view(), name="letter_pdf"),
    path("letters/templates/", letter_views.TemplateListView.as_view(), name="template_list"),
    path("letters/templates/<int:pk>/", letter_views.TemplateEditView.as_view(), name="template_edit"),
    path("letters/letterhead/", letter_views.LetterheadView.as_view(), name="letterhead"),
    path("providers/", views.ProviderListView.as_view(), name="provider_list"),
    path("providers/new/", views.ProviderFormView.as_view(), name="provider_create"),
    path("providers/<int:pk>/", views.ProviderFormView.as_view(), name="provider_edit"),
]
