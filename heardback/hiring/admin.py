"""The Django admin, usable by an org admin: every list and every object is scoped to the
orgs where the signed-in user is an admin. Superusers see everything.

The admin is not a door to the contract. An application's status, stage and promise and a
job's state change only through the services, which send the candidate their message and
record the event; here those fields are read-only (applications are view-only), and nothing
that would end an active application without its final message can be deleted.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from heardback.hiring.models import (
    Application,
    ApplicationStatus,
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
    # Fields only a service may change (it tells the candidate and records why).
    contract_fields: tuple[str, ...] = ()

    def _org_ids(self, request: HttpRequest) -> set[int]:
        if not hasattr(request, "_heardback_admin_orgs"):
            request._heardback_admin_orgs = admin_org_ids(request.user)  # type: ignore[attr-defined]
        org_ids: set[int] = request._heardback_admin_orgs  # type: ignore[attr-defined]
        return org_ids

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

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = [*super().get_readonly_fields(request, obj), *self.contract_fields]
        if obj is not None and self.org_field == "org_id":
            # Moving a row to another org would hand one tenant's data to another.
            fields.append("org")
        return fields

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Write only what the form changed: a full save would write back the read-only
        # fields as loaded at the start of the request, undoing a service's change (a close-out,
        # a decline) that committed in between.
        obj.save(update_fields=[name for name in form.changed_data if name in form.fields])

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        model = db_field.related_model
        if not request.user.is_superuser and field is not None and field.queryset is not None:
            if model is Org:
                field.queryset = field.queryset.filter(pk__in=self._org_ids(request))
            elif hasattr(model, "org_id"):
                field.queryset = field.queryset.filter(org_id__in=self._org_ids(request))
            elif model is get_user_model():
                # Accounts have no org of their own: only people already in one of the
                # admin's orgs, never the whole sign-up list (other orgs, job seekers).
                field.queryset = field.queryset.filter(
                    memberships__org_id__in=self._org_ids(request)
                ).distinct()
            else:
                field.queryset = field.queryset.none()  # unscoped: offer nothing
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
    """An org admin changes roles here; which account a membership belongs to, and which
    org, only a superuser changes (moving a membership to another account would let one org
    take in another org's user)."""

    list_display = ["user", "org", "role"]
    list_filter = ["role"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = super().get_readonly_fields(request, obj)
        if not request.user.is_superuser:
            fields.append("user")
        return fields


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = ["position", "name", "coarse_stage", "promise_business_days"]
    # Order and coarse stage decide where applications stand and what candidates see.
    readonly_fields = ["position", "coarse_stage"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Pipeline)
class PipelineAdmin(OrgScopedAdmin):
    list_display = ["name", "org", "is_template"]
    inlines = [StageInline]


@admin.register(Stage)
class StageAdmin(OrgScopedAdmin):
    list_display = ["name", "pipeline", "position", "coarse_stage", "promise_business_days"]
    # Moving a stage (or relabelling its coarse stage) would move every application in it
    # without a word to the candidates.
    contract_fields = ("pipeline", "position", "coarse_stage")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Job)
class JobAdmin(OrgScopedAdmin):
    list_display = ["title", "org", "owner", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["title"]
    # Holding, closing and reopening a job go through the engine: closing sends every
    # active candidate their close-out message.
    contract_fields = ("status", "closed_at", "pipeline", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a job is created by the service that copies its pipeline

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deleting would drop its candidates without a close-out


@admin.register(Candidate)
class CandidateAdmin(OrgScopedAdmin):
    list_display = ["name", "email", "language", "time_zone", "unreachable_since"]
    search_fields = ["name", "email"]
    # Set by bounces and by the candidate's own choice, each with an event.
    contract_fields = ("unreachable_since", "progress_updates_opt_out", "created_at")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting cascades to applications: allowed one at a time, and only once none is
        # active (no bulk delete: it would not look at each candidate's applications).
        if obj is None or not super().has_delete_permission(request, obj):
            return False
        return not _has_active_applications(obj)


class EventInline(admin.TabularInline):
    model = Event
    extra = 0
    can_delete = False
    fields = ("created_at", "actor_label", "kind", "data")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Application)
class ApplicationAdmin(OrgScopedAdmin):
    """View-only: every field of an application is the state of a promise to a candidate
    (status, stage, respond-by, the held decline, the watchdog's progress), changed in the
    console through services that send the message and record the event."""

    list_display = ["candidate", "job", "stage", "status", "respond_by", "last_contacted_at"]
    list_filter = ["status", "stage__coarse_stage"]
    search_fields = ["candidate__name", "candidate__email", "job__title"]
    readonly_fields = ["messages"]
    contract_fields = (
        "status",
        "stage",
        "respond_by",
        "pending_decline_at",
        "decided_at",
        "promise_watch",
    )
    inlines = [EventInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # applying sends the acknowledgement and makes the first promise

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an active candidate would never hear back; a finished one is the record

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


def _has_active_applications(candidate: Candidate) -> bool:
    return Application.objects.filter(
        org_id=candidate.org_id, candidate_id=candidate.pk, status=ApplicationStatus.ACTIVE
    ).exists()


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "actor_label", "application", "job"]
    list_filter = ["kind"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "to_email", "subject", "status", "attempts", "last_error"]
    list_filter = ["status", "kind"]
    search_fields = ["to_email", "subject"]
