from django.urls import path

from clients import views

app_name = "clients"

urlpatterns = [
    path("", views.ClientListView.as_view(), name="list"),
    path("new/", views.ClientFormView.as_view(), name="create"),
    path("search/", views.ClientSearchView.as_view(), name="search"),
    path("<int:pk>/", views.ClientDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ClientFormView.as_view(), name="edit"),
]

# The interactions logged on the clients: a namespace of their own ("interactions"), mounted at
# /interactions/ by config/urls.py.
interaction_patterns = [
    path("", views.InteractionListView.as_view(), name="list"),
    path("new/", views.InteractionCreateView.as_view(), name="create"),
    path("<int:pk>/edit/", views.InteractionEditView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.InteractionDeleteView.as_view(), name="delete"),
]
