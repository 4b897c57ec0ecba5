"""The Django admin, usable by an org admin: every list and every object is scoped to the
orgs where the signed-in user is an admin. Superusers see everything."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from heardback.hiring.models import (
    Application,
    Candidate,
    Event,
    Job,
    Member,
    Org,
    Pipeline,
    Stage,
)
from heardback.hiring.selectors import admin_org_ids
from heardback.messaging.models import Message


class OrgScopedAdmin(admin.ModelAdmin):
    org_field = "org_id"

    def _org_ids(self, request: HttpRequest) -> set[int]:
        if not hasattr(request, "_heardback_admin_orgs"):
            request._heardback_admin_orgs = admin_org_ids(request.user)  # type: ignore[attr-defined]
        return request._heardback_admin_orgs  # type: ignore[attr-defined]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.org_field}__in": self._org_ids(request)})

    def _allowed(self, request: HttpRequest, obj: Any = None) -> bool:
        if request.user.is_superuser:
            return True
        if not request.user.is_staff or not self._org_ids(request):
            return False
        if obj is None:
            return True
        return getattr(obj, self.org_field) in self._org_ids(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        model = db_field.related_model
        if not request.user.is_superuser and field is not None:
            if model is Org:
                field.queryset = field.queryset.filter(pk__in=self._org_ids(request))
            elif hasattr(model, "org_id"):
                field.queryset = field.queryset.filter(org_id__in=self._org_ids(request))
        return field


class ReadOnlyAdmin(OrgScopedAdmin):
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Org)
class OrgAdmin(OrgScopedAdmin):
    org_field = "pk"
    list_display = ["name", "slug", "country", "time_zone"]


@admin.register(Member)
class MemberAdmin(OrgScopedAdmin):
    list_display = ["user", "org", "role"]
    list_filter = ["role"]


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = ["position", "name", "coarse_stage", "promise_business_days"]


@admin.register(Pipeline)
class PipelineAdmin(OrgScopedAdmin):
    list_display = ["name", "org", "is_template"]
    inlines = [StageInline]


@admin.register(Stage)
class StageAdmin(OrgScopedAdmin):
    list_display = ["name", "pipeline", "position", "coarse_stage", "promise_business_days"]


@admin.register(Job)
class JobAdmin(OrgScopedAdmin):
    list_display = ["title", "org", "owner", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["title"]


@admin.register(Candidate)
class CandidateAdmin(OrgScopedAdmin):
    list_display = ["name", "email", "language", "time_zone", "unreachable_since"]
    search_fields = ["name", "email"]


class EventInline(admin.TabularInline):
    model = Event
    extra = 0
    can_delete = False
    fields = ["created_at", "actor_label", "kind", "data"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Application)
class ApplicationAdmin(OrgScopedAdmin):
    list_display = ["candidate", "job", "stage", "status", "respond_by", "last_contacted_at"]
    list_filter = ["status", "stage__coarse_stage"]
    search_fields = ["candidate__name", "candidate__email", "job__title"]
    readonly_fields = ["messages"]
    inlines = [EventInline]

    @admin.display(description="Messages (delivery status)")
    def messages(self, obj: Application) -> str:
        rows = Message.objects.filter(org_id=obj.org_id, application_id=obj.pk).order_by("id")
        return (
            "\n".join(
                f"{m.created_at:%Y-%m-%d %H:%M} {m.kind}: {m.subject} [{m.status}"
                + (f": {m.last_error}" if m.last_error else "")
                + "]"
                for m in rows
            )
            or "none"
        )


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "actor_label", "application", "job"]
    list_filter = ["kind"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "to_email", "subject", "status", "attempts", "last_error"]
    list_filter = ["status", "kind"]
    search_fields = ["to_email", "subject"]
