from django.core.management.base import BaseCommand

DEMO_LOGINS = [
    ("customer", "customer@example.com", "demo-customer-pass"),
    ("warehouse grader", "grader", "demo-grader-pass"),
    ("manager", "manager", "demo-manager-pass"),
    ("admin", "admin", "demo-admin-pass"),
]


class Command(BaseCommand):
    help = "Print the demo logins made by seed_demo."

    def handle(self, *args, **options):
        self.stdout.write("Demo logins (username / password):")
        for role, username, password in DEMO_LOGINS:
            self.stdout.write(f"  {role:<17} {username} / {password}")
