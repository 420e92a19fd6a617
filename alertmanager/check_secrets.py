#!/usr/bin/env python3
"""Names every secret file of an Alertmanager 0.25 configuration that is
missing, unreadable or empty.

    python3 alertmanager/check_secrets.py [CONFIG] [--cwd DIR]

`amtool check-config` accepts a configuration whose secret files do not
exist, and Alertmanager starts with it: the first notification then fails.
Run this after creating the secret files, as the user Alertmanager runs as
(`sudo -u prometheus ...`, so that permissions are checked too), with the
working directory of the Alertmanager service.

CONFIG defaults to the alertmanager.yml next to this script. Each path is
resolved as Alertmanager 0.25 resolves it (config/config.go, resolveFilepaths):
  - the files of an `http_config` (authorization.credentials_file,
    bearer_token_file, basic_auth.password_file, oauth2.client_secret_file,
    tls_config ca_file/cert_file/key_file), in `global` or in a receiver,
    against the configuration file's directory;
  - every other `*_file` key (global slack_api_url_file,
    smtp_auth_password_file, opsgenie_api_key_file, victorops_api_key_file;
    a receiver's api_url_file, auth_password_file, api_key_file,
    service_key_file, routing_key_file, an email tls_config's files) against
    Alertmanager's WORKING DIRECTORY: --cwd DIR (default: the current one).

Prints one line per file that is missing, unreadable, not a regular file or
empty (only whitespace): where in the configuration (e.g.
`global.slack_api_url_file`,
`receivers[webhook].webhook_configs[0].http_config.authorization.credentials_file`),
what is wrong, and the path. Exit status: 0 when every file is there and not
empty, 1 when one is not, 2 when the configuration cannot be read or parsed.
Needs python3-yaml.
"""

import argparse
import os
import sys

DEFAULT_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "alertmanager.yml")


class ConfigError(Exception):
    """The configuration cannot be read or is not an Alertmanager one."""


def load(path):
    try:
        import yaml  # python3-yaml
    except ImportError as e:
        raise ConfigError("python3-yaml is not installed (apt-get install "
                          "python3-yaml): %s" % e) from None
    try:
        with open(path, encoding="utf-8") as f:
            config = yaml.safe_load(f)
    except OSError as e:
        raise ConfigError("cannot read %s: %s" % (path, e.strerror or e)) from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ConfigError("%s is not valid YAML: %s" % (path, e)) from None
    if not isinstance(config, dict):
        raise ConfigError("%s is not an Alertmanager configuration (no mapping "
                          "at the top)" % path)
    return config


def secret_files(config):
    """Yields (where, path, in_http_config) for every *_file key."""
    def walk(node, where, in_http_config):
        if isinstance(node, dict):
            for key, value in node.items():
                key = str(key)
                here = "%s.%s" % (where, key) if where else key
                if key.endswith("_file") and isinstance(value, str) and value:
                    yield here, value, in_http_config
                else:
                    yield from walk(value, here,
                                    in_http_config or key == "http_config")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                # receivers[webhook]: a receiver by its name, the rest by index.
                name = item.get("name") if isinstance(item, dict) else None
                index = name if where == "receivers" and isinstance(name, str) else i
                yield from walk(item, "%s[%s]" % (where, index), in_http_config)
    yield from walk(config, "", False)


def problem(path):
    """None when path is a readable regular file with content, else what is wrong."""
    if not os.path.lexists(path):
        return "missing"
    if not os.path.exists(path):
        return "missing (dangling symlink)"
    if not os.path.isfile(path):
        return "not a regular file"
    try:
        with open(path, "rb") as f:
            content = f.read()
    except OSError as e:
        return "unreadable (%s)" % (e.strerror or e)
    if not content.strip():
        return "empty"
    return None


def check(config_path, cwd):
    """Returns (lines naming each bad file, number of files checked)."""
    config = load(config_path)
    config_dir = os.path.dirname(os.path.abspath(config_path))
    lines, checked = [], 0
    for where, value, in_http_config in secret_files(config):
        checked += 1
        base, base_name = ((config_dir, "the configuration's directory")
                           if in_http_config else (cwd, "the working directory"))
        resolved = os.path.normpath(os.path.join(base, value))
        what = problem(resolved)
        if what is None:
            continue
        relative = ("" if os.path.isabs(value)
                    else " (%s, relative to %s)" % (value, base_name))
        lines.append("%s: %s: %s%s" % (where, what, resolved, relative))
    return lines, checked


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Names each missing, unreadable or empty secret file of an "
                    "Alertmanager 0.25 configuration.")
    parser.add_argument("config", nargs="?", default=DEFAULT_CONFIG,
                        help="the configuration file (default: %(default)s)")
    parser.add_argument("--cwd", default=os.getcwd(),
                        help="Alertmanager's working directory, against which "
                             "slack_api_url_file, smtp_auth_password_file and "
                             "the other *_file keys outside http_config are "
                             "resolved (default: the current directory)")
    args = parser.parse_args(argv)
    try:
        lines, checked = check(args.config, os.path.abspath(args.cwd))
    except ConfigError as e:
        print("check_secrets: error: %s" % e, file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    if lines:
        print("check_secrets: %d of %d secret files missing, unreadable or empty "
              "in %s: Alertmanager starts, but notifications that need them fail"
              % (len(lines), checked, args.config), file=sys.stderr)
        return 1
    print("check_secrets: all %d secret files of %s are present and not empty"
          % (checked, args.config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
