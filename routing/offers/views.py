"""A rep's answers to live offers, and their open offers for a page that (re)connects.
Thin: parse, call one service or selector, render. The services check everything (the
offer was made to this rep, still open, the rep still eligible); the role check here only
keeps non-reps off the pages."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.decorators import role_required
from accounts.roles import Role

from .selectors import offer_cards_for
from .services import OfferError, offer_accept, offer_decline


@role_required(Role.REP)
@require_GET
def offers_mine(request):
    """The rep's open offers as cards (the live socket re-syncs with this on connect)."""
    return render(
        request, "routing/offers/_cards.html", {"cards": offer_cards_for(user=request.user)}
    )


def _answered(request, offer_id: int, message: str, *, ok: bool):
    # htmx swaps the card for the calm sentence; a plain form post lands on My leads.
    if request.htmx:
        return render(
            request, "routing/offers/_answer.html", {"offer_id": offer_id, "message": message}
        )
    (messages.info if ok else messages.warning)(request, message)
    return redirect("pools:my_leads")


@role_required(Role.REP)
@require_POST
def offer_accept_view(request, offer_id: int):
    try:
        lead = offer_accept(offer_id=offer_id, user=request.user)
    except OfferError as exc:
        return _answered(request, offer_id, exc.message, ok=False)
    url = reverse("pools:lead_detail", args=[lead.pk])
    messages.success(request, "It's yours. Make first contact now.")
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@role_required(Role.REP)
@require_POST
def offer_decline_view(request, offer_id: int):
    try:
        offer_decline(offer_id=offer_id, user=request.user, reason=request.POST.get("reason", ""))
    except OfferError as exc:
        return _answered(request, offer_id, exc.message, ok=False)
    return _answered(request, offer_id, "Declined.", ok=True)
