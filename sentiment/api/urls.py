from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from sentiment.api.jobs import JobListView, JobResultView, JobView
from sentiment.api.views import HealthView, ModelView, PredictViewSet

predict = PredictViewSet.as_view({"post": "create"})

urlpatterns = [
    re_path(r"^api/predict/?$", predict, name="predict"),
    # The Flask project's path, kept so that its clients go on working unchanged.
    re_path(r"^predict/?$", predict, name="predict-legacy"),
    path("api/health", HealthView.as_view(), name="health"),
    path("api/model", ModelView.as_view(), name="model"),
    path("api/jobs", JobListView.as_view(), name="jobs"),
    path("api/jobs/<uuid:job_id>", JobView.as_view(), name="job"),
    path("api/jobs/<uuid:job_id>/result", JobResultView.as_view(), name="job-result"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script, which the
    # Content-Security-Policy would refuse.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
]
