from django.urls import path

from clients import views

app_name = "interactions"

urlpatterns = [
    path("", views.InteractionListView.as_view(), name="list"),
    path("new/", views.InteractionCreateView.as_view(), name="create"),
    path("<int:pk>/edit/", views.InteractionEditView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.InteractionDeleteView.as_view(), name="delete"),
]
