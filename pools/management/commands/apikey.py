"""`manage.py apikey create --source NAME [--create-source]` (prints the key once), `list`,
`revoke PREFIX`."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils.text import slugify

from pools.capture.apikeys import apikey_create, apikey_revoke
from pools.models import ApiKey, LeadSource


class Command(BaseCommand):
    help = "Create, list and revoke API keys for lead sources."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a key; prints it once.")
        create.add_argument("--source", required=True, help="Lead source name or slug.")
        create.add_argument("--name", default="", help="Who uses the key.")
        create.add_argument(
            "--create-source", action="store_true", help="Create the source if it is missing."
        )
        sub.add_parser("list", help="List keys (prefixes only).")
        revoke = sub.add_parser("revoke", help="Revoke a key by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **options):
        if action == "create":
            source = self._source(options["source"], create=options["create_source"])
            _, raw = apikey_create(source=source, name=options["name"])
            # Only the clear key on stdout, so scripts can capture it.
            self.stdout.write(raw)
            self.stderr.write(
                f"Key for {source.name}; it is not stored and will not be shown again."
            )
        elif action == "list":
            for key in ApiKey.objects.select_related("source"):
                state = "revoked" if key.revoked_at else "active"
                self.stdout.write(f"{key.prefix}…  {key.source.name}  {key.name}  {state}")
        else:
            keys = list(ApiKey.objects.filter(prefix=options["prefix"][:11]))
            if len(keys) != 1:
                raise CommandError(f"{len(keys)} keys match that prefix; expected one.")
            apikey_revoke(api_key=keys[0])
            self.stdout.write(f"Revoked {keys[0].prefix}…")

    def _source(self, name: str, *, create: bool) -> LeadSource:
        source = LeadSource.objects.filter(Q(name__iexact=name) | Q(slug=name)).first()
        if source is not None:
            return source
        if create:
            slug = slugify(name)
            if not slug:
                raise CommandError(f"“{name}” cannot name a source: use letters or digits.")
            taken = LeadSource.objects.filter(slug=slug).first()
            if taken is not None:
                raise CommandError(f"“{name}” would share its address with “{taken.name}”.")
            self.stderr.write(f"Created the lead source “{name}”.")
            return LeadSource.objects.create(name=name, slug=slug)
        known = ", ".join(f"“{s}”" for s in LeadSource.objects.values_list("name", flat=True))
        raise CommandError(
            f"No lead source named “{name}”. "
            + (f"Sources: {known}. " if known else "There is no source yet. ")
            + "Add --create-source to create it."
        )
