using System.Globalization;
using Npgsql;
using Platform.Volume.Bench;

// bench/volume: seeds a year of a busy tenant's data (issue 15) and times the portal's pages and API lists on it.
//   seed    CONNECTION [--scale 1.0] [--tenant "Demo Startup"] [--key-file FILE]
//   measure CONNECTION URL --key-file FILE [--runs 30] [--tenant "Demo Startup"] [--out FILE]
// The demo logins (./platform up --seed-demo) sign in; the seeder writes an API key of the busy tenant to --key-file.
if (args.Length < 2 || args[0] is not ("seed" or "measure"))
{
    Console.Error.WriteLine("usage: seed CONNECTION [--scale 1.0] [--tenant NAME] [--key-file FILE] | measure CONNECTION URL --key-file FILE [--runs 30] [--out FILE]");
    return 2;
}
string Option(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
var tenant = Option("--tenant", "Demo Startup");
var keyFile = Option("--key-file", Path.Combine(Path.GetTempPath(), "volume-bench-api-key"));
await using var db = NpgsqlDataSource.Create(args[1]);
if (args[0] == "seed")
{
    var scale = double.Parse(Option("--scale", "1"), CultureInfo.InvariantCulture);
    Console.WriteLine($"seeding scale {scale} into '{tenant}' and 49 other tenants");
    var key = await new Seeder(db, new Volume(scale), tenant, Console.Out).RunAsync();
    await File.WriteAllTextAsync(keyFile, key);
    Console.WriteLine($"API key of '{tenant}' written to {keyFile}");
    return 0;
}
var url = new Uri(args[2]);
var runs = int.Parse(Option("--runs", "30"), CultureInfo.InvariantCulture);
var measure = new Measure(db, url, (await File.ReadAllTextAsync(keyFile)).Trim(), "owner@demo.local", "finance@demo.local", "demo-password-1",
    tenant, runs, Console.Out);
var timings = await measure.RunAsync();
if (Option("--out", "") is { Length: > 0 } output)
{
    var lines = new List<string> { "| what | path | status | p50 ms | p95 ms | KB |", "|---|---|---|---|---|---|" };
    lines.AddRange(timings.Select(t => string.Create(CultureInfo.InvariantCulture,
        $"| {t.Name} | `{t.Path}` | {t.Status} | {t.P50:F1} | {t.P95:F1} | {t.Bytes / 1024.0:F1} |")));
    await File.WriteAllLinesAsync(output, lines);
}
return 0;
