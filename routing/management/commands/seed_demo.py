from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from pools.demo import build as demo
from pools.lifecycle import LeadState
from pools.models import Lead
from routing.tasks import lead_intake


class Command(BaseCommand):
    help = (
        "Create demo users, teams, territories, pools and leads from the real Olist data "
        "(idempotent). Refuses to run with DEBUG off unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has users.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (never on a production database).",
        )
        parser.add_argument("--leads", type=int, default=400, help="How many demo leads.")

    def handle(self, *args, if_empty: bool, force: bool, leads: int, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: seed_demo would put demo users with a known "
                "password into this database. Use --force if you mean it."
            )
        if if_empty and User.objects.exists():
            self.stdout.write("Database already has users; demo seed skipped.")
            return
        password = settings.DEMO_PASSWORD
        demo.people_ensure(password=password)
        self._routing_demo()
        created = demo.leads_ensure(
            count=leads, log=lambda m: self.stdout.write(self.style.WARNING(m))
        )
        routed = self._route_fresh_leads()
        # After the leads: a new policy marks the untouched ones due (the backlog's reminders).
        from routing.demo import demo_escalation_ensure

        demo_escalation_ensure()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {created} new leads, {routed} of them routed just now by the demo "
                f"rules. Log in as admin, manager1, manager2 or "
                f"rep1…rep12 with the DEMO_PASSWORD."
            )
        )

    def _route_fresh_leads(self) -> int:
        """The newest demo leads go through the real pipeline (screening, rules, decision
        record), in-process, so "Why this rep?" has something to show from the start."""
        fresh = Lead.objects.filter(status=LeadState.NEW, attributes__demo=True)
        ids = list(fresh.order_by("created_at").values_list("id", flat=True))
        for lead_id in ids:
            lead_intake.apply(args=[lead_id], throw=True)
        return len(ids)

    def _routing_demo(self) -> None:
        from routing.demo import demo_rules_ensure

        demo_rules_ensure()
