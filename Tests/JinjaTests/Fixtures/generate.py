#!/usr/bin/env python3
"""Renders every cases/NAME.j2 with the real jinja2 and records what it gives.

Run with a Python that has jinja2 (for example /tmp/jvenv/bin/python). For each
template not starting with `_` it writes NAME.out (the exact output) or, when
jinja2 raises, NAME.err (the exception jinja2 raised). A template that must
fail also has a hand-written NAME.expected-error (`LINE:COL: message`, our
engine's text), which the Swift test compares; the generator insists that
jinja2 fails exactly for those. Globals come from NAME.vars.json if present.

A documented deviation from Jinja has a hand-written NAME.deviation.out (our
engine's exact output, which the Swift test compares instead of NAME.out) and
NAME.deviation.txt (why). NAME.out still records jinja2's output, and the
generator insists that it differs from the deviation, so a deviation that no
longer deviates is noticed.
Settings are Jinja's defaults plus StrictUndefined, as jcrun uses them.
"""
import json
import pathlib
import sys

import jinja2

CASES = pathlib.Path(__file__).resolve().parent / "cases"


def main() -> int:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(CASES)), undefined=jinja2.StrictUndefined
    )
    problems = []
    for template_path in sorted(CASES.glob("*.j2")):
        name = template_path.stem
        if name.startswith("_"):
            continue
        out_path = CASES / f"{name}.out"
        err_path = CASES / f"{name}.err"
        expected_error = (CASES / f"{name}.expected-error").exists()
        vars_path = CASES / f"{name}.vars.json"
        variables = json.loads(vars_path.read_text()) if vars_path.exists() else {}
        for stale in (out_path, err_path):
            if stale.exists():
                stale.unlink()
        try:
            text = env.get_template(template_path.name, globals=variables).render()
        except Exception as error:  # noqa: BLE001 - any jinja2 failure is recorded
            # The folder's absolute path is the machine's, not jinja2's answer.
            message = str(error).replace(str(CASES), "cases")
            err_path.write_text(f"jinja2 raised {type(error).__name__}: {message}\n")
            if not expected_error:
                problems.append(f"{name}: jinja2 raised {error!r} but there is no .expected-error")
            continue
        out_path.write_bytes(text.encode("utf-8"))
        deviation = CASES / f"{name}.deviation.out"
        if deviation.exists():
            if not (CASES / f"{name}.deviation.txt").exists():
                problems.append(f"{name}: has .deviation.out but no .deviation.txt saying why")
            if deviation.read_bytes() == text.encode("utf-8"):
                problems.append(f"{name}: jinja2 now gives the .deviation.out; remove the deviation")
        if expected_error:
            problems.append(f"{name}: has .expected-error but jinja2 rendered it")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
