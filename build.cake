// Build script (Cake 7, run as a local tool):
//   dotnet tool restore
//   dotnet cake                      # Build + Test
//   dotnet cake --target=Bench       # the side-by-side workload comparison (needs ../shared/anchors)
//   dotnet cake --target=Pack        # NuGet packages of src/ into artifacts/packages
var target = Argument("target", "Test");
var configuration = Argument("configuration", "Release");

Task("Build")
    .Does(() =>
{
    DotNetBuild("Lwt.sln", new DotNetBuildSettings { Configuration = configuration });
});

Task("Test")
    .IsDependentOn("Build")
    .Does(() =>
{
    DotNetTest("Lwt.sln", new DotNetTestSettings { Configuration = configuration, NoBuild = true });
});

Task("Bench")
    .IsDependentOn("Build")
    .Does(() =>
{
    var exit = StartProcess("bash", new ProcessSettings { Arguments = "perf/compare.sh" });
    if (exit != 0) throw new Exception($"perf/compare.sh failed with exit code {exit}");
});

Task("Pack")
    .IsDependentOn("Build")
    .Does(() =>
{
    var settings = new DotNetPackSettings { Configuration = configuration, NoBuild = true, OutputDirectory = "artifacts/packages" };
    DotNetPack("src/Lwt.Scheduling/Lwt.Scheduling.csproj", settings);
    DotNetPack("src/Lwt.Interop/Lwt.Interop.csproj", settings);
});

RunTarget(target);
