"""django-crontab's `crontab add|show|remove|run`, with listings that name jobs by their hash.

django-crontab 0.7.1 prints the fifth word of a crontab line as the job's hash. The
environment this project writes in front of the command (CRONTAB_COMMAND_PREFIX) shifts that
word, so `show` and `remove` would print the DATABASE_URL, password included. This command
finds the hash after `crontab run` instead; everything else is django-crontab's.
"""

from __future__ import annotations

import re

from django_crontab.crontab import Crontab
from django_crontab.management.commands.crontab import Command as CrontabCommand

_JOB_HASH = re.compile(r"\bcrontab run (\w+)")


class ProjectCrontab(Crontab):
    def _our_lines(self) -> list[str]:
        ours = []
        for line in self.crontab_lines:
            job = self.settings.CRONTAB_LINE_REGEXP.findall(line)
            if job and job[0][4] == self.settings.CRONTAB_COMMENT:
                ours.append(line)
        return ours

    def _describe(self, line: str) -> str:
        match = _JOB_HASH.search(line)
        job_hash = match.group(1) if match else "?"
        try:
            job = self._Crontab__get_job_by_hash(job_hash)
        except RuntimeError:
            job = "(not in CRONJOBS any more)"
        return f"({job_hash}) -> {job}"

    def show_jobs(self) -> None:
        print("Currently active jobs in crontab:")
        for line in self._our_lines():
            print(self._describe(line))

    def remove_jobs(self) -> None:
        for line in self._our_lines():
            self.crontab_lines.remove(line)
            if self.verbosity >= 1:
                print(f"removing cronjob: {self._describe(line)}")


class Command(CrontabCommand):
    def handle(self, *args, **options) -> None:
        subcommand = options["subcommand"]
        if subcommand == "show":
            with ProjectCrontab(readonly=True, **options) as crontab:
                crontab.show_jobs()
        elif subcommand in ("add", "remove"):
            with ProjectCrontab(**options) as crontab:
                crontab.remove_jobs()
                if subcommand == "add":
                    crontab.add_jobs()
        else:
            super().handle(*args, **options)
