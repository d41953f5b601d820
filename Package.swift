// swift-tools-version: 6.0
import PackageDescription

// The targets follow the path of a run (docs/DESIGN.md): templates, YAML nodes,
// the engine (config, graph, plan, store, runner, scheduler, render), the CLI.
// Jinja and YAMLNodes know nothing of jobs; JobControl knows nothing of argv.
let package = Package(
    name: "jcrun",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "jcrun", targets: ["jcrun"])
    ],
    targets: [
        .systemLibrary(name: "CYaml", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // No pkgConfig for these two: it would link them (see CLazyLibraries).
        .systemLibrary(name: "CMicroHTTPD", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CPostgres", providers: [.apt(["libpq-dev"])]),
        .target(name: "CSpawn"),
        // libpq and libmicrohttpd are opened on first use (CLazyLibraries.h),
        // so their modules name no library to link and no pkg-config file.
        .target(name: "CLazyLibraries", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "Jinja"),
        .target(name: "YAMLNodes", dependencies: ["CYaml"]),
        .target(
            name: "JobControl",
            dependencies: [
                "Jinja", "YAMLNodes", "CSQLite", "CPostgres", "CSpawn", "CMicroHTTPD", "CLazyLibraries",
            ]
        ),
        .executableTarget(name: "jcrun", dependencies: ["JobControl", "CSpawn"]),
        .executableTarget(name: "store-stress", dependencies: ["JobControl"]),
        .testTarget(name: "JinjaTests", dependencies: ["Jinja"], resources: [.copy("Fixtures")]),
        .testTarget(name: "YAMLNodesTests", dependencies: ["YAMLNodes"]),
        .target(
            name: "PostgresTestSupport", dependencies: ["CPostgres", "CLazyLibraries"], path: "Tests/Support"),
        .testTarget(name: "JobControlTests", dependencies: ["JobControl", "PostgresTestSupport"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["jcrun", "PostgresTestSupport"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
