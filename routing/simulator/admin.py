"""Rule sets in the admin: drafts copied from the live rules, renamed or deleted; a draft
promoted to live and a former version rolled back to, through a page that shows what
changes; each set's history. Their rules are edited in the rules' own admin."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html

from ..models import RoutingRule, RuleSet
from ..rules.forms import DraftCopyForm
from .drafts import rule_set_copy_live
from .history import rule_set_history
from .promote import PromoteError, rule_set_promote, rule_set_rollback, rule_set_switch_preview
from .selectors import simulation_may_run


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    """Drafts are made by copying the live rules, renamed or deleted here; their rules are
    edited in the rules' own admin (same form, same checks). A draft is promoted to live,
    a former version rolled back to, from its page, which also shows its history."""

    change_list_template = "admin/routing/ruleset/change_list.html"
    change_form_template = "admin/routing/ruleset/change_form.html"
    list_display = ("name", "state", "rules_link", "copied_from", "created_by", "updated_at")
    list_select_related = ("copied_from", "created_by")
    fields = ("name", "description", "state", "copied_from", "created_by", "created_at")
    readonly_fields = ("state", "copied_from", "created_by", "created_at")
    search_fields = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_rules=Count("rules"))

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one at a time, so the live set never goes
        return actions

    def has_add_permission(self, request):
        return False  # a set starts as a copy (copy_live_view)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.state == RuleSet.State.DRAFT
        )

    def has_change_permission(self, request, obj=None):
        # A version's name and description are part of the record.
        return super().has_change_permission(request, obj) and (
            obj is None or obj.state != RuleSet.State.VERSION
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        rule_set = self.get_object(request, object_id)
        if rule_set is not None:
            extra_context = {
                **(extra_context or {}),
                **rule_set_history(rule_set=rule_set),
                "may_switch": rule_set.state != RuleSet.State.LIVE and self._may_switch(request),
                "may_replay": simulation_may_run(user=request.user),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _may_switch(self, request) -> bool:
        # Changing the rules the engine routes by: the right to change sets and rules.
        return super().has_change_permission(request) and request.user.has_perm(
            "routing.change_routingrule"
        )

    @admin.display(description="Rules", ordering="n_rules")
    def rules_link(self, obj):
        url = reverse("admin:routing_routingrule_changelist") + f"?rule_set__id__exact={obj.pk}"
        label = "1 rule" if obj.n_rules == 1 else f"{obj.n_rules} rules"
        return format_html('<a href="{}">{}</a>', url, label)

    def get_urls(self):
        return [
            path(
                "copy-live/",
                self.admin_site.admin_view(self.copy_live_view),
                name="routing_ruleset_copy_live",
            ),
            path(
                "<int:object_id>/make-live/",
                self.admin_site.admin_view(self.make_live_view),
                name="routing_ruleset_make_live",
            ),
            *super().get_urls(),
        ]

    def make_live_view(self, request, object_id: int):
        """Promote a draft, or roll back to a version: a confirmation listing what changes
        against the live rules (GET), then the switch (POST)."""
        if not self._may_switch(request):
            raise PermissionDenied
        rule_set = RuleSet.objects.filter(pk=object_id).first()
        if rule_set is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, str(object_id))
        rollback = rule_set.state == RuleSet.State.VERSION
        error = None
        if rule_set.state == RuleSet.State.LIVE:
            error = f"“{rule_set}” is the live set already."
        elif request.method == "POST":
            try:
                promotion = (
                    rule_set_rollback(version=rule_set, user=request.user)
                    if rollback
                    else rule_set_promote(rule_set=rule_set, user=request.user)
                )
            except PromoteError as exc:
                error = str(exc)
            else:
                # The promotion row is the record (who, when, what); no LogEntry twice.
                messages.success(
                    request,
                    f"“{promotion.diff['names']['promoted']}” is live now, as "
                    f"“{rule_set.LIVE_NAME}”; "
                    f"the rules it replaced are kept as “{promotion.replaced}”.",
                )
                return redirect(reverse("admin:routing_ruleset_change", args=[rule_set.pk]))
        live = rule_set.state == RuleSet.State.LIVE
        preview = {} if live else rule_set_switch_preview(rule_set=rule_set)
        verb = "Roll back to" if rollback else "Promote"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": rule_set,
            "title": f"{verb} “{rule_set}”" + ("" if rollback else " to live"),
            "rollback": rollback,
            "error": error,
            **preview,
        }
        return render(request, "admin/routing/ruleset/make_live.html", context)

    def copy_live_view(self, request):
        """A new draft holding a copy of the live rules."""
        if not (
            self.has_view_permission(request) and request.user.has_perm("routing.add_routingrule")
        ):
            raise PermissionDenied
        form = DraftCopyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                draft = rule_set_copy_live(
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    user=request.user,
                )
            except IntegrityError:  # the same name saved by someone else meanwhile
                form.add_error("name", "A rule set with this name already exists.")
            else:
                messages.success(request, f"Draft “{draft}” holds a copy of the live rules.")
                return redirect(
                    reverse("admin:routing_routingrule_changelist")
                    + f"?rule_set__id__exact={draft.pk}"
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Copy the live rules into a new draft",
            "form": form,
            "live_count": RoutingRule.objects.live().count(),
        }
        return render(request, "admin/routing/ruleset/copy_live.html", context)
