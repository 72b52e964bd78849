using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Npgsql;

// bench/circuits (issue 17): server memory per connected Blazor Server circuit, and the time from a progress
// report's commit to the browser's update, with many signed-in pages on job pages of running jobs.
//   URL CONNECTION PID [--pages 200] [--jobs 20] [--batch 20] [--watch 30] [--gcdump PATH] [--out FILE]
// The portal (PID, serving URL, on the database CONNECTION) runs with --seed-demo and no job worker: the bench
// inserts its own Running jobs in the demo tenant and writes their progress as a worker does (the progress row
// and a loss point, then NOTIFY platform_job_events, one transaction), once a second per job, and deletes them at the end.
// Memory: dotnet-gcdump (which forces a full, compacting collection) gives the live managed heap; VmRSS is read
// right after it. Pages: one headless Chromium, one signed-in context (owner@demo.local), PAGES tabs opened
// BATCH at a time, each a job page with its own circuit; a MutationObserver stamps each change of #job-step.
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: URL CONNECTION PID [--pages 200] [--jobs 20] [--batch 20] [--watch 30] [--gcdump PATH] [--out FILE]");
    return 2;
}
string Option(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
int IntOption(string name, int fallback) => int.Parse(Option(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

var url = new Uri(args[0]);
await using var db = NpgsqlDataSource.Create(args[1]);
var pid = int.Parse(args[2], CultureInfo.InvariantCulture);
var pages = IntOption("--pages", 200);
var jobCount = IntOption("--jobs", 20);
var batch = IntOption("--batch", 20);
var watch = TimeSpan.FromSeconds(IntOption("--watch", 30));
var gcdump = Option("--gcdump", "dotnet-gcdump");
var output = Option("--out", "");
const long TotalSteps = 100_000;

var (tenantId, ownerId) = await DemoOwnerAsync(db);
var jobs = Enumerable.Range(0, jobCount).Select(_ => Guid.CreateVersion7()).ToList();
var commits = new ConcurrentDictionary<(Guid Job, long Step), long>();
var steps = jobs.ToDictionary(j => j, _ => 1L);
await InsertJobsAsync(db, tenantId, ownerId, jobs);
try
{
    foreach (var job in jobs)
        await ReportAsync(db, tenantId, job, steps[job], commits);

    using var playwright = await Playwright.CreateAsync();
    await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = "/usr/bin/chromium",
        Headless = true,
        Args =
        [
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            // Hundreds of tabs share a few renderer processes; none of them is throttled as a background tab.
            "--renderer-process-limit=6", "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows",
        ],
    });
    var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = url.ToString(), ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
    // A loaded machine serves hundreds of page loads slowly: the circuit's first frame is the wait that matters.
    context.SetDefaultNavigationTimeout(180_000);
    context.SetDefaultTimeout(180_000);
    await context.AddInitScriptAsync("""
        window.__stepUpdates = [];
        document.addEventListener('DOMContentLoaded', () => {
          let last = null;
          new MutationObserver(() => {
            const el = document.getElementById('job-step');
            const text = el ? el.textContent.trim() : null;
            if (text && text !== last) { last = text; window.__stepUpdates.push([Date.now(), text]); }
          }).observe(document.body, { subtree: true, childList: true, characterData: true });
        });
        """);
    var signIn = await context.NewPageAsync();
    await signIn.GotoAsync("/account/sign-in");
    await signIn.FillAsync("#email", "owner@demo.local");
    await signIn.FillAsync("#password", "demo-password-1");
    await signIn.ClickAsync("button[type=submit]");
    await signIn.WaitForURLAsync(u => !u.Contains("/account/sign-in", StringComparison.Ordinal));
    // One job page opened and closed: the server's code paths are JIT-compiled before the baseline.
    await OpenJobPageAsync(signIn, jobs[0]);
    await signIn.CloseAsync();
    await Task.Delay(TimeSpan.FromSeconds(5));

    var before = await MemoryAsync(gcdump, pid);
    Console.WriteLine($"before: RSS {before.Rss / 1024.0 / 1024:F1} MiB, managed heap {before.Heap / 1024.0 / 1024:F1} MiB");

    var open = new List<IPage>();
    var notConnected = 0;
    var connect = Stopwatch.StartNew();
    for (var start = 0; start < pages; start += batch)
    {
        var opening = Enumerable.Range(start, Math.Min(batch, pages - start)).Select(async i =>
        {
            var page = await context.NewPageAsync();
            try
            {
                await OpenJobPageAsync(page, jobs[i % jobs.Count]);
            }
            catch (Exception e) when (e is TimeoutException or PlaywrightException)
            {
                // Counted and left open: on a loaded machine a tab can miss the deadline; the summary says how many.
                Interlocked.Increment(ref notConnected);
            }
            return page;
        });
        open.AddRange(await Task.WhenAll(opening));
        Console.WriteLine($"{open.Count} circuits open ({connect.Elapsed.TotalSeconds:F0} s)");
    }
    var openedIn = connect.Elapsed;
    await Task.Delay(TimeSpan.FromSeconds(5));
    var idle = await MemoryAsync(gcdump, pid);
    Console.WriteLine($"{pages} idle circuits: RSS {idle.Rss / 1024.0 / 1024:F1} MiB, managed heap {idle.Heap / 1024.0 / 1024:F1} MiB");

    // Progress: each job once a second, the jobs spread over the second as independent workers would be.
    using var stop = new CancellationTokenSource(watch);
    var reports = 0;
    try
    {
        while (!stop.IsCancellationRequested)
        {
            var round = Stopwatch.StartNew();
            for (var j = 0; j < jobs.Count && !stop.IsCancellationRequested; j++)
            {
                var due = TimeSpan.FromSeconds((double)j / jobs.Count);
                if (round.Elapsed < due)
                    await Task.Delay(due - round.Elapsed, stop.Token);
                steps[jobs[j]]++;
                await ReportAsync(db, tenantId, jobs[j], steps[jobs[j]], commits);
                reports++;
            }
            if (round.Elapsed < TimeSpan.FromSeconds(1))
                await Task.Delay(TimeSpan.FromSeconds(1) - round.Elapsed, stop.Token);
        }
    }
    catch (OperationCanceledException)
    {
    }
    await Task.Delay(TimeSpan.FromSeconds(3));
    var latencies = new List<double>();
    var missed = 0;
    for (var i = 0; i < open.Count; i++)
    {
        var job = jobs[i % jobs.Count];
        var updates = await open[i].EvaluateAsync<JsonElement>("() => window.__stepUpdates");
        var seen = 0;
        foreach (var update in updates.EnumerateArray())
        {
            var at = update[0].GetDouble();
            var step = long.Parse(Regex.Replace(update[1].GetString()!.Split('/')[0], "[^0-9]", ""), CultureInfo.InvariantCulture);
            // Only steps written while watching: the first paint of each page shows a step it did not wait for.
            if (step > 1 && commits.TryGetValue((job, step), out var committed))
            {
                latencies.Add(at - committed);
                seen++;
            }
        }
        if (seen == 0)
            missed++;
    }
    var after = await MemoryAsync(gcdump, pid);
    latencies.Sort();
    double Percentile(double p) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
    var perCircuitHeap = (idle.Heap - before.Heap) / (double)pages;
    var perCircuitRss = (idle.Rss - before.Rss) / (double)pages;
    var load1 = File.ReadAllText("/proc/loadavg").Split(' ')[0];
    var summary = string.Create(CultureInfo.InvariantCulture, $"""
        pages (circuits): {pages} on {jobCount} running jobs, opened in batches of {batch} in {openedIn.TotalSeconds:F0} s; not connected within 2 min: {notConnected}
        memory before: RSS {before.Rss / 1048576.0:F1} MiB, managed heap {before.Heap / 1048576.0:F1} MiB
        memory with {pages} idle circuits: RSS {idle.Rss / 1048576.0:F1} MiB, managed heap {idle.Heap / 1048576.0:F1} MiB
        per idle circuit: managed heap {perCircuitHeap / 1024:F0} KB, RSS {perCircuitRss / 1024:F0} KB
        after {watch.TotalSeconds:F0} s of progress: RSS {after.Rss / 1048576.0:F1} MiB, managed heap {after.Heap / 1048576.0:F1} MiB (per circuit: heap {(after.Heap - before.Heap) / (double)pages / 1024:F0} KB, RSS {(after.Rss - before.Rss) / (double)pages / 1024:F0} KB)
        progress reports written: {reports} ({reports / watch.TotalSeconds:F1}/s); page updates matched to a commit: {latencies.Count}; pages that saw none: {missed}
        commit to browser update: p50 {Percentile(0.5):F0} ms, p90 {Percentile(0.9):F0} ms, p99 {Percentile(0.99):F0} ms, max {(latencies.Count > 0 ? latencies[^1] : double.NaN):F0} ms
        machine load (1 min) at the end: {load1}
        """);
    Console.WriteLine(summary);
    if (output.Length > 0)
        await File.WriteAllTextAsync(output, summary + "\n");
    foreach (var page in open)
        await page.CloseAsync();
    return 0;
}
finally
{
    await using var delete = db.CreateCommand("DELETE FROM jobs WHERE id = ANY($1)");
    delete.Parameters.Add(new NpgsqlParameter { Value = jobs.ToArray() });
    await delete.ExecuteNonQueryAsync();
}

static async Task OpenJobPageAsync(IPage page, Guid job)
{
    // The circuit is up once its WebSocket has carried a frame from the server (the first render batch).
    var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    page.WebSocket += (_, socket) =>
    {
        if (socket.Url.Contains("/_blazor", StringComparison.Ordinal))
            socket.FrameReceived += (_, _) => connected.TrySetResult();
    };
    await page.GotoAsync($"/jobs/{job}", new PageGotoOptions { WaitUntil = WaitUntilState.DOMContentLoaded });
    await connected.Task.WaitAsync(TimeSpan.FromMinutes(2));
}

static async Task<(Guid Tenant, Guid Owner)> DemoOwnerAsync(NpgsqlDataSource db)
{
    await using var command = db.CreateCommand("""
        SELECT m.tenant_id, u.id FROM users u JOIN tenant_memberships m ON m.user_id = u.id JOIN tenants t ON t.id = m.tenant_id
        WHERE u.normalized_email = 'OWNER@DEMO.LOCAL' AND t.name = 'Demo Startup'
        """);
    await using var reader = await command.ExecuteReaderAsync();
    if (!await reader.ReadAsync())
        throw new InvalidOperationException("No owner@demo.local in 'Demo Startup': start the portal with --seed-demo (./platform up does).");
    return (reader.GetGuid(0), reader.GetGuid(1));
}

static async Task InsertJobsAsync(NpgsqlDataSource db, Guid tenant, Guid owner, IReadOnlyList<Guid> jobs)
{
    for (var i = 0; i < jobs.Count; i++)
    {
        await using var insert = db.CreateCommand("""
            INSERT INTO jobs (id, tenant_id, kind, name, state, payload, created_by, started_at)
            VALUES ($1, $2, 'train', $3, 'Running', '{"baseModel": "bert-mini-random", "hyperparameters": {"preset": "fast"}}'::jsonb, $4, now())
            """);
        insert.Parameters.Add(new NpgsqlParameter { Value = jobs[i] });
        insert.Parameters.Add(new NpgsqlParameter { Value = tenant });
        insert.Parameters.Add(new NpgsqlParameter { Value = $"circuit bench {i + 1}" });
        insert.Parameters.Add(new NpgsqlParameter { Value = owner });
        await insert.ExecuteNonQueryAsync();
    }
}

// What the worker's report does (JobQueue.ReportAsync and the loss window): progress, a loss point, NOTIFY, one transaction.
static async Task ReportAsync(NpgsqlDataSource db, Guid tenant, Guid job, long step, ConcurrentDictionary<(Guid, long), long> commits)
{
    var progress = JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["step"] = step, ["totalSteps"] = TotalSteps, ["epoch"] = 1, ["epochs"] = 1, ["loss"] = 1.0 / Math.Sqrt(step),
        ["learningRate"] = 5e-5, ["samplesPerSecond"] = 32.0, ["etaSeconds"] = (double)(TotalSteps - step),
    });
    await using var command = db.CreateCommand("""
        WITH j AS (UPDATE jobs SET progress = $3::jsonb WHERE id = $2 RETURNING id),
        l AS (INSERT INTO job_loss_points (tenant_id, job_id, step, total_steps, loss, learning_rate, attempt)
              SELECT $1, id, $4, $5, $6, 5e-5, 1 FROM j)
        SELECT pg_notify('platform_job_events', id::text) FROM j
        """);
    command.Parameters.Add(new NpgsqlParameter { Value = tenant });
    command.Parameters.Add(new NpgsqlParameter { Value = job });
    command.Parameters.Add(new NpgsqlParameter { Value = progress });
    command.Parameters.Add(new NpgsqlParameter { Value = step });
    command.Parameters.Add(new NpgsqlParameter { Value = TotalSteps });
    command.Parameters.Add(new NpgsqlParameter { Value = 1.0 / Math.Sqrt(step) });
    await command.ExecuteNonQueryAsync();
    // Autocommit: the statement's return is the commit.
    commits[(job, step)] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}

// dotnet-gcdump collects after a forced full collection: its total is the live managed heap. RSS right after.
static async Task<(long Rss, long Heap)> MemoryAsync(string gcdump, int pid)
{
    var file = Path.Combine(Path.GetTempPath(), $"circuits-{Guid.NewGuid():N}.gcdump");
    try
    {
        await RunAsync(gcdump, "collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "-o", file);
        var report = await RunAsync(gcdump, "report", file);
        var total = Regex.Match(report, @"([\d,]+)\s+GC Heap bytes");
        if (!total.Success)
            throw new InvalidOperationException("dotnet-gcdump report has no 'GC Heap bytes' line:\n" + report);
        var heap = long.Parse(total.Groups[1].Value.Replace(",", ""), CultureInfo.InvariantCulture);
        var rss = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return (long.Parse(Regex.Match(rss, @"\d+").Value, CultureInfo.InvariantCulture) * 1024, heap);
    }
    finally
    {
        File.Delete(file);
    }
}

static async Task<string> RunAsync(string file, params string[] arguments)
{
    var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var argument in arguments)
        start.ArgumentList.Add(argument);
    using var process = Process.Start(start)!;
    var stdout = process.StandardOutput.ReadToEndAsync();
    var stderr = process.StandardError.ReadToEndAsync();
    await process.WaitForExitAsync();
    if (process.ExitCode != 0)
        throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {await stdout}{await stderr}");
    return await stdout;
}
