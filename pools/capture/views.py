"""The public capture form (/capture/<slug>/), embeddable in an iframe, and the managers'
page with the embed snippets."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import role_required
from accounts.roles import Role
from pools import selectors
from pools.capture.ratelimit import rate_limit_hit
from pools.capture.services import lead_capture
from pools.capture.webform import (
    HONEYPOT,
    FormTokenError,
    automation_signs,
    capture_form_class,
    form_lead_fields,
    form_token,
    form_token_read,
    form_token_spend,
)
from pools.models import LeadSource
from pools.money import money_format_for

FORM_POSTS_PER_MINUTE_PER_IP = 20


def _source(slug: str) -> LeadSource:
    source = get_object_or_404(LeadSource, slug=slug, is_active=True)
    if not source.form_enabled:
        raise Http404("This form is not enabled.")
    return source


# Embeddable on the customer's site: exempt from X-Frame-Options DENY. Cookie CSRF is
# replaced by a signed form token (see pools.capture.webform.form_token for why).
@xframe_options_exempt
@csrf_exempt
@require_http_methods(["GET", "POST"])
def capture_form(request, slug: str):
    source = _source(slug)
    Form = capture_form_class(
        source.form_fields,
        default_country=source.default_country,
        money_format=money_format_for(
            team=source.team, accept_language=request.headers.get("Accept-Language", "")
        ),
    )
    if request.method == "GET":
        form = Form(initial={"token": form_token(slug)})
        return render(request, "pools/capture/form.html", {"source": source, "form": form})
    # The cheap checks first (signature, rate limit): validation reads names and
    # countries, and a flood of forged posts must not get that far.
    try:
        token, problem = form_token_read(request.POST.get("token", ""), slug), ""
    except FormTokenError as exc:
        token, problem = None, str(exc)
    ip = request.META.get("REMOTE_ADDR", "")
    if not problem and rate_limit_hit(bucket=f"form:{ip}", limit=FORM_POSTS_PER_MINUTE_PER_IP):
        problem = "Too many submissions from your network; please try again in a minute."
    form = Form(request.POST)
    if not problem and form.is_valid():
        if form_token_spend(token):
            # A post that looks automated (autofill is as fast as a bot) is kept and held
            # for a manager's review, never dropped: the visitor's "thank you" is true.
            review = automation_signs(
                loaded_at=token.loaded_at, honeypot=request.POST.get(HONEYPOT, "").strip()
            )
            fields, attributes = form_lead_fields(form.cleaned_data)
            lead_capture(
                source=source,
                fields=fields,
                attributes=attributes,
                channel="web form",
                review_reason=review,
            )
            return redirect("capture:thanks", slug=slug)
        problem = "We already have this form. To send another, press Send again."
    if problem:
        # Shown as typed, not validated: nothing the visitor wrote is lost.
        form = Form(initial={name: request.POST.get(name, "") for name in Form.base_fields})
    # Signed afresh, so a person fixing a mistake is not told the form expired, but with
    # the first page load's time: the minimum fill time counts from there.
    fresh = form_token(slug, loaded_at=token.loaded_at if token else None)
    if form.is_bound:
        form.data = form.data.copy()
        form.data["token"] = fresh
    else:
        form.initial["token"] = fresh
    context = {"source": source, "form": form, "problem": problem}
    return render(request, "pools/capture/form.html", context, status=400)


@xframe_options_exempt
@require_GET
def capture_thanks(request, slug: str):
    return render(request, "pools/capture/thanks.html", {"source": _source(slug)})


@role_required(Role.MANAGER, Role.ADMIN)
@require_GET
def capture_forms(request):
    sources = selectors.sources_managed_by(user=request.user)
    base = request.build_absolute_uri("/")[:-1]
    return render(request, "pools/capture/forms.html", {"sources": sources, "base": base})
