"""A Corral plugin written in Python (componentize-py), against the same WIT
(corral:plugin@0.1.0) as the Rust plugins. It implements `describe`,
`validate-config` (kiosk: `pinnedApp` required) and `evaluate-access`
(default level from the connector body); every other hook answers
`plugin-error::unsupported`, like the Rust SDK's defaults.

Build:  scripts/build-python-plugin.sh   (-> plugins/python/python_plugin.wasm)
"""
import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import types as t


def _unsupported(hook: str):
    raise Err(t.PluginError_Unsupported(f"hook {hook} is not implemented by this plugin"))


class Hooks(exports.Hooks):
    def describe(self) -> t.PluginInfo:
        return t.PluginInfo(
            name="python-example",
            vendor="Corral",
            version="0.1.0",
            hooks=[t.Hook.VALIDATE_CONFIG, t.Hook.EVALUATE_ACCESS],
            capabilities=[],
            http_hosts=[],
            config_kinds=[t.ConfigKind("kiosk", "Kiosk (Python)", "pinned app only", None)],
        )

    def validate_config(self, config: t.Configuration):
        try:
            body = json.loads(config.body)
        except ValueError as e:
            raise Err(t.PluginError_InvalidInput(f"body is not JSON: {e}"))
        errors = []
        app = body.get("pinnedApp")
        if not isinstance(app, str):
            errors.append(t.FieldError("/pinnedApp", "required", "a pinned app is required"))
        elif "." not in app:
            errors.append(t.FieldError("/pinnedApp", "invalid", "expected an Android package name"))
        return errors

    def render_config(self, config):
        _unsupported("render-config")

    def decide_enrolment(self, request):
        return t.EnrolmentDecision_Abstain()

    def map_import_rows(self, batch):
        _unsupported("map-import-rows")

    def translate_command(self, target, command):
        _unsupported("translate-command")

    def evaluate_access(self, connector, request):
        body = json.loads(connector.body or "{}")
        level = {
            "allow": t.AccessLevel.ALLOW,
            "block": t.AccessLevel.BLOCK,
        }.get(body.get("defaultAccess"), t.AccessLevel.QUARANTINE)
        return t.AccessDecision(level, None, [t.Reason("default", "python plugin: default access level")])

    def on_event(self, event):
        return None
