"""alertmanager/check_secrets.py: names each missing or empty secret file of
the shipped Alertmanager configuration (which `amtool check-config` accepts),
resolving paths as Alertmanager 0.25 does: slack_api_url_file and
smtp_auth_password_file against the working directory, the webhook's
credentials_file against the configuration's directory.

Run by ctest as: python3 test_alertmanager_secrets.py --binary PATH --source-dir DIR
(--binary is not used here).
"""

import os
import re
import shutil
import sys
import tempfile
import unittest

import pe_testlib as lib

ARGS = lib.parse_args()
AM_DIR = os.path.join(ARGS.source_dir, "alertmanager")
SCRIPT = os.path.join(AM_DIR, "check_secrets.py")

# The three secret files of the shipped configuration: where in it, and path.
SLACK = ("global.slack_api_url_file", "secrets/slack_api_url")
SMTP = ("global.smtp_auth_password_file", "secrets/smtp_password")
WEBHOOK = ("receivers[webhook].webhook_configs[0].http_config.authorization"
           ".credentials_file", "secrets/webhook_token")
SHIPPED_SECRETS = [SLACK, SMTP, WEBHOOK]


class CheckSecretsTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="pe-am-secrets-")
        self.addCleanup(tmp.cleanup)
        # A copy of the shipped configuration, without the secrets someone
        # may have put into alertmanager/secrets/.
        self.dir = tmp.name
        self.config = os.path.join(self.dir, "alertmanager.yml")
        shutil.copy(os.path.join(AM_DIR, "alertmanager.yml"), self.config)

    def check(self, config=None, cwd=None):
        return lib.run([sys.executable, SCRIPT, config or self.config,
                        "--cwd", cwd or self.dir])

    def write_secret(self, name, content, directory=None):
        path = os.path.join(directory or self.dir, "secrets", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(content)

    def fill_every_secret(self, directory=None):
        self.write_secret("slack_api_url", "https://hooks.slack.com/services/T/B/x\n",
                          directory)
        self.write_secret("smtp_password", "the-smtp-password", directory)
        self.write_secret("webhook_token", "the-webhook-token\n", directory)

    def assert_names(self, result, secrets, problem):
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), len(secrets), result.stdout + result.stderr)
        for (where, path), line in zip(secrets, lines):
            self.assertTrue(line.startswith(where + ": " + problem + ": "), line)
            self.assertIn(path, line)

    def test_without_secrets_it_names_all_three_and_exits_1(self):
        result = self.check()
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assert_names(result, SHIPPED_SECRETS, "missing")
        self.assertIn("3 of 3", result.stderr)

    def test_an_empty_secret_is_named(self):
        self.fill_every_secret()
        self.write_secret("smtp_password", "")
        result = self.check()
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assert_names(result, [SMTP], "empty")

    def test_a_secret_of_only_a_newline_is_empty(self):
        self.fill_every_secret()
        self.write_secret("webhook_token", "\n")
        result = self.check()
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assert_names(result, [WEBHOOK], "empty")

    def test_with_every_secret_it_exits_0(self):
        self.fill_every_secret()
        result = self.check()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("all 3 secret files", result.stdout)

    def test_slack_and_smtp_files_are_looked_for_in_the_working_directory(self):
        # Secrets beside the configuration, Alertmanager run elsewhere: only
        # the webhook's credentials_file (an http_config file) is found.
        self.fill_every_secret()
        elsewhere = os.path.join(self.dir, "elsewhere")
        os.makedirs(elsewhere)
        result = self.check(cwd=elsewhere)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assert_names(result, [SLACK, SMTP], "missing")
        self.assertIn(os.path.join(elsewhere, "secrets", "slack_api_url"),
                      result.stdout)
        # And the other way round: secrets in the working directory only.
        shutil.rmtree(os.path.join(self.dir, "secrets"))
        self.fill_every_secret(elsewhere)
        result = self.check(cwd=elsewhere)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assert_names(result, [WEBHOOK], "missing")

    def test_absolute_paths_are_taken_as_they_are(self):
        secrets = os.path.join(self.dir, "abs")
        self.fill_every_secret(secrets)
        with open(self.config, encoding="utf-8") as f:
            text, n = re.subn(r"(_file: )secrets/", r"\g<1>%s/secrets/" % secrets,
                              f.read())
        self.assertEqual(n, 3)
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(text)
        result = self.check(cwd="/")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    @unittest.skipIf(os.geteuid() == 0, "root reads every file")
    def test_an_unreadable_secret_is_named(self):
        self.fill_every_secret()
        os.chmod(os.path.join(self.dir, "secrets", "slack_api_url"), 0)
        result = self.check()
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assert_names(result, [SLACK], "unreadable (Permission denied)")

    def test_a_broken_configuration_exits_2(self):
        with open(self.config, "a", encoding="utf-8") as f:
            f.write("\nreceivers: [\n")
        result = self.check()
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertIn("not valid YAML", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_a_missing_configuration_exits_2(self):
        result = self.check(config=os.path.join(self.dir, "absent.yml"))
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertIn("absent.yml", result.stderr)

    def test_the_shipped_configuration_is_the_default(self):
        result = lib.run([sys.executable, SCRIPT, "--help"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(os.path.join(AM_DIR, "alertmanager.yml"),
                      result.stdout.replace("\n", "").replace(" ", ""))


if __name__ == "__main__":
    lib.main()
