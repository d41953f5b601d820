import Testing

@testable import Jinja

/// Size-multiplying operations and integer arithmetic fail with a positioned
/// message instead of trapping or exhausting memory.
@Suite struct SizeLimitTests {
    static let failing: [(String, String)] = [
        (
            "{{ 'x' * 100000000000 }}",
            "main.yaml:1:8: string repetition of 100000000000 characters is too large"
                + " (the limit is 64 MiB)"
        ),
        (
            "{{ 'abc' * 9223372036854775807 }}",
            "main.yaml:1:10: string repetition of 3 × 9223372036854775807 characters is too large"
                + " (the limit is 64 MiB)"
        ),
        (
            "{{ 100000000000 * 'x' }}",
            "main.yaml:1:17: string repetition of 100000000000 characters is too large"
                + " (the limit is 64 MiB)"
        ),
        (
            "{{ [1] * 100000000 }}",
            "main.yaml:1:8: list repetition of 100000000 items is too large (the limit is 10000000)"
        ),
        (
            "{{ [1, 2] * 9223372036854775807 }}",
            "main.yaml:1:11: list repetition of 2 × 9223372036854775807 items is too large"
                + " (the limit is 10000000)"
        ),
        (
            "{{ ['x' * 1000000] * 100 }}",
            "main.yaml:1:20: list repetition of 100000000 characters is too large"
                + " (the limit is 64 MiB)"
        ),
        (
            "{{ 'x'|center(100000000000) }}",
            "main.yaml:1:8: center width 100000000000 is too large (the limit is 64 MiB)"
        ),
        (
            "{{ 'x'|indent(100000000000, true) }}",
            "main.yaml:1:8: indent width 100000000000 is too large (the limit is 64 MiB)"
        ),
        (
            "{{ [1]|tojson(100000000000) }}",
            "main.yaml:1:8: tojson indent width 100000000000 is too large (the limit is 64 MiB)"
        ),
        (
            "{{ '%100000000000s'|format('x') }}",
            "main.yaml:1:21: format width 100000000000 is too large (the limit is 64 MiB)"
        ),
        (
            "{{ '%.99999999999999999999f' % 1.5 }}",
            "main.yaml:1:30: format precision 99999999999999999999 is too large"
                + " (the limit is 64 MiB)"
        ),
        (
            "{{ '%d' % 1e300 }}",
            "main.yaml:1:9: integer too large"
        ),
        (
            "{{ [1]|batch(100000000000, 0) }}",
            "main.yaml:1:8: filter 'batch': linecount 100000000000 is too large"
                + " (the limit is 10000000)"
        ),
        (
            "{{ range(-9223372036854775807, 9223372036854775807)|length }}",
            "main.yaml:1:4: range() of more than 10000000 items is too long"
                + " (the limit is 10000000)"
        ),
        (
            "{{ range(9223372036854775807, -9223372036854775807, -1)|length }}",
            "main.yaml:1:4: range() of more than 10000000 items is too long"
                + " (the limit is 10000000)"
        ),
        // Integer arithmetic past Int: Python has big ints; we refuse them.
        ("{{ 9223372036854775807 * 2 }}", "main.yaml:1:24: integer too large"),
        ("{{ 9223372036854775807 + 1 }}", "main.yaml:1:24: integer too large"),
        ("{{ -9223372036854775807 - 2 }}", "main.yaml:1:25: integer too large"),
        ("{{ 2 ** 63 }}", "main.yaml:1:6: integer too large"),
        ("{{ 3 ** 1000 }}", "main.yaml:1:6: integer too large"),
        ("{{ -(-9223372036854775807 - 1) }}", "main.yaml:1:4: integer too large"),
        ("{{ (-9223372036854775807 - 1) // -1 }}", "main.yaml:1:31: integer too large"),
        ("{{ -(-9223372036854775807 - 1)|abs }}", "main.yaml:1:4: integer too large"),
        ("{{ (-9223372036854775807 - 1)|abs }}", "main.yaml:1:31: integer too large"),
        ("{{ [9223372036854775807, 1]|sum }}", "main.yaml:1:29: integer too large"),
        ("{{ [9223372036854775807, true]|sum }}", "main.yaml:1:32: integer too large"),
        // Conversions to integer past 64 bits: Python's value, never 0 or the default.
        ("{{ '99999999999999999999'|int }}", "main.yaml:1:27: integer too large"),
        ("{{ '9223372036854775808'|int }}", "main.yaml:1:26: integer too large"),
        ("{{ '-9223372036854775809'|int }}", "main.yaml:1:27: integer too large"),
        ("{{ '0x1_0000_0000_0000_0000'|int(7, 16) }}", "main.yaml:1:30: integer too large"),
        ("{{ '1e19'|int(5) }}", "main.yaml:1:11: integer too large"),
        ("{{ 1e19|int }}", "main.yaml:1:9: integer too large"),
        ("{{ 1e300|int }}", "main.yaml:1:10: integer too large"),
        ("{{ (-1e19)|int }}", "main.yaml:1:12: integer too large"),
        ("{{ 9223372036854775807.0|int }}", "main.yaml:1:26: integer too large"),
        (
            "{{ 'inf'|float|int }}",
            "main.yaml:1:16: cannot convert float infinity to integer"
        ),
        ("{{ '%d' % 9223372036854775807.0 }}", "main.yaml:1:9: integer too large"),
        ("{{ 9223372036854775807|round(-1) }}", "main.yaml:1:24: integer too large"),
        ("{{ (-9223372036854775807 - 1)|round(-1) }}", "main.yaml:1:31: integer too large"),
        ("{{ 6000000000000000000|round(-19) }}", "main.yaml:1:24: integer too large"),
    ]

    @Test(arguments: failing)
    func refused(_ template: String, _ expected: String) {
        #expect(renderError(template) == expected)
    }

    /// Cases that build real text before reaching the limit, run with a
    /// 1 MiB limit so they stay fast.
    static let built: [(String, String)] = [
        (
            "{{ '%s%s%s' % ('x' * 500000, 'x' * 500000, 'x' * 500000) }}",
            "main.yaml:1:13: formatted string of 1500000 characters is too large"
                + " (the limit is 1 MiB)"
        ),
        (
            "{% set ns = namespace(s='x' * 100000) %}"
                + "{% for i in range(4) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
            "main.yaml:1:83: string of 1600000 characters is too large (the limit is 1 MiB)"
        ),
        (
            "{% set ns = namespace(s='x' * 100000) %}"
                + "{% for i in range(4) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "main.yaml:1:78: string of 1600000 characters is too large (the limit is 1 MiB)"
        ),
        (
            "{% set ns = namespace(l=[1]) %}"
                + "{% for i in range(40) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l }}",
            "main.yaml:1:100: text of 1048577 characters is too large (the limit is 1 MiB)"
        ),
        (
            "{% set ns = namespace(l=[1]) %}"
                + "{% for i in range(40) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}"
                + "{{ ns.l|tojson }}",
            "main.yaml:1:105: JSON text of 1048577 characters is too large (the limit is 1 MiB)"
        ),
        (
            "{{ ('a\n' * 100000)|indent(20) }}",
            "main.yaml:2:13: indented text of 2000020 characters is too large"
                + " (the limit is 1 MiB)"
        ),
        (
            "{{ ([['x' * 10000] * 60] * 2)|join }}",
            "main.yaml:1:31: joined string of 1200480 characters is too large"
                + " (the limit is 1 MiB)"
        ),
        (
            "{{ ','.join([['x' * 10000] * 60] * 2) }}",
            "main.yaml:1:8: joined string of 1200481 characters is too large"
                + " (the limit is 1 MiB)"
        ),
        (
            "{{ ('x' * 1000000)|replace('x', 'yyyyyyyyyy') }}",
            "main.yaml:1:20: string of 1048580 characters is too large (the limit is 1 MiB)"
        ),
        (
            "{% set s = 'x' * 200000 %}{{ '{}{}{}{}{}{}{}{}'.format(s, s, s, s, s, s, s, s) }}",
            "main.yaml:1:49: formatted string of 1200000 characters is too large"
                + " (the limit is 1 MiB)"
        ),
        (
            "{% for i in range(100) %}{{ 'x' * 100000 }}{% endfor %}",
            "main.yaml:1:29: rendered text of 1100000 bytes is too large (the limit is 1 MiB)"
        ),
    ]

    @Test(arguments: built)
    func refusedOnceBuilt(_ template: String, _ expected: String) {
        let message = SizeLimit.$maximumBytes.withValue(1 << 20) { renderError(template) }
        #expect(message == expected)
    }

    static let working: [(String, String)] = [
        ("{{ (-9223372036854775807 - 1) % -1 }}", "0"),
        ("{{ 7 % -1 }}|{{ -7 // -1 }}", "0|7"),
        ("{{ 2 ** 62 }}", "4611686018427387904"),
        ("{{ (-1) ** 1001 }}|{{ 1 ** 100000 }}|{{ 0 ** 100 }}", "-1|1|0"),
        ("{{ 'ab' * 3 }}{{ 'x' * -2 }}{{ [1] * 0 }}", "ababab[]"),
        ("{{ 'abc'|truncate(9223372036854775807) }}", "abc"),
        ("{{ [1, 2]|batch(3, 0)|list }}", "[[1, 2, 0]]"),
        ("{{ ('x' * 1048576)|length }}", "1048576"),
        ("{{ '%5d|%-4s|%.2f' % (42, 'a', 1.5) }}", "   42|a   |1.50"),
        // The largest integers still convert.
        ("{{ '9223372036854775807'|int }}", "9223372036854775807"),
        ("{{ '-9223372036854775808'|int }}", "-9223372036854775808"),
        ("{{ 9223372036854774784.0|int }}", "9223372036854774784"),
        ("{{ (-9223372036854775808.0)|int }}", "-9223372036854775808"),
        ("{{ 'nan'|float|int(3) }}|{{ '1e400'|int(4) }}", "3|4"),
        ("{{ 5000000000000000000|round(-19) }}", "0"),
        ("{{ 9223372036854775807|round(-20) }}", "0"),
        ("{{ (-9223372036854775807)|round(-2) }}", "-9223372036854775800"),
        ("{{ -9223372036854775807|round(-18) }}", "-9000000000000000000"),
    ]

    @Test(arguments: working)
    func allowed(_ template: String, _ expected: String) throws {
        let text = try SizeLimit.$maximumBytes.withValue(1 << 20) { try render(template).text }
        #expect(text == expected)
    }
}
