using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Npgsql;

namespace Platform.Volume.Bench;

/// <summary>One page or API list: its median and 95th-percentile time to the last byte, and its size.</summary>
internal sealed record Timing(string Name, string Path, int Status, double P50, double P95, long Bytes);

/// <summary>
/// Times signed-in requests to the running portal: tenant pages as the busy tenant's owner, finance
/// pages as finance, the REST API with the key the seeder made. An interactive page is timed to its
/// first response (the prerendered HTML), what a user waits for before the circuit starts. The ids
/// in the paths (the long job, a dataset, the busiest month) are read from the database.
/// </summary>
internal sealed partial class Measure(NpgsqlDataSource db, Uri portal, string apiKey, string ownerEmail, string financeEmail, string password,
    string tenantName, int runs, TextWriter log)
{
    public async Task<IReadOnlyList<Timing>> RunAsync()
    {
        var ids = await IdsAsync();
        using var owner = await SignedInAsync(ownerEmail);
        using var finance = await SignedInAsync(financeEmail);
        using var api = Client(new CookieContainer());
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        api.DefaultRequestHeaders.Accept.ParseAdd("application/json");

        var deepJob = await DeepCursorAsync(api, "/api/v1/jobs", 50);
        var deepDataset = await DeepCursorAsync(api, "/api/v1/datasets", 50);
        var list = new List<(string Name, HttpClient Client, string Path)>
        {
            ("dashboard", owner, "/"),
            ("datasets", owner, "/datasets"),
            ("dataset page", owner, $"/datasets/{ids.Dataset}"),
            ("jobs", owner, "/jobs"),
            ("job page (typical job)", owner, $"/jobs/{ids.TypicalJob}"),
            ("job page (long job)", owner, $"/jobs/{ids.LongJob}"),
            ("job live panel (long job)", owner, $"/jobs/{ids.LongJob}/live"),
            ("model page", owner, $"/models/{ids.TypicalJob}"),
            ("billing", owner, "/billing"),
            ("finance usage", finance, $"/finance?month={ids.Month}"),
            ("finance tenant usage", finance, $"/finance/usage/{ids.Tenant}?month={ids.Month}"),
            ("finance invoices", finance, "/finance/invoices"),
            ("finance CSV export (tenant, month)", finance, $"/finance/usage/export?month={ids.Month}&tenant={ids.Tenant}"),
            ("GET /api/v1/datasets", api, "/api/v1/datasets?limit=100"),
            ("GET /api/v1/datasets (page 50)", api, $"/api/v1/datasets?limit=20&after={deepDataset}"),
            ("GET /api/v1/jobs", api, "/api/v1/jobs?limit=100"),
            ("GET /api/v1/jobs (page 50)", api, $"/api/v1/jobs?limit=20&after={deepJob}"),
            ("GET /api/v1/jobs?state=Failed", api, "/api/v1/jobs?state=Failed&limit=100"),
            ("GET /api/v1/models", api, "/api/v1/models?limit=100"),
            ("GET /api/v1/jobs/{long}/events", api, $"/api/v1/jobs/{ids.LongJob}/events?limit=100"),
            ("GET /api/v1/jobs/{long}/events?order=newest", api, $"/api/v1/jobs/{ids.LongJob}/events?limit=100&order=newest"),
            ("GET /api/v1/jobs/{long}/loss", api, $"/api/v1/jobs/{ids.LongJob}/loss"),
            ("GET /api/v1/jobs/{long}/checkpoints", api, $"/api/v1/jobs/{ids.LongJob}/checkpoints"),
            ("GET /api/v1/usage", api, "/api/v1/usage"),
        };

        var timings = new List<Timing>();
        foreach (var (name, client, path) in list)
        {
            // Two warm-up requests: JIT and PostgreSQL's plan cache are not what the bench is about.
            for (var i = 0; i < 2; i++)
                await GetAsync(client, path);
            var times = new List<double>();
            var status = 0;
            long bytes = 0;
            for (var i = 0; i < runs; i++)
            {
                var (ms, code, size) = await GetAsync(client, path);
                times.Add(ms);
                status = code;
                bytes = size;
            }
            times.Sort();
            var timing = new Timing(name, path, status, Percentile(times, 0.50), Percentile(times, 0.95), bytes);
            timings.Add(timing);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-48} {status} p50 {timing.P50,7:F1} ms  p95 {timing.P95,7:F1} ms  {bytes / 1024.0,8:F1} KB"));
        }
        return timings;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static async Task<(double Ms, int Status, long Bytes)> GetAsync(HttpClient client, string path)
    {
        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsByteArrayAsync();
        return (watch.Elapsed.TotalMilliseconds, (int)response.StatusCode, body.LongLength);
    }

    private async Task<string> DeepCursorAsync(HttpClient api, string path, int pages)
    {
        string? after = null;
        for (var i = 0; i < pages; i++)
        {
            var text = await api.GetStringAsync(after is null ? $"{path}?limit=20" : $"{path}?limit=20&after={after}");
            after = LastId().Match(text) is { Success: true } m ? m.Groups[1].Value : after;
        }
        return after ?? throw new InvalidOperationException($"{path} returned no lastId.");
    }

    private HttpClient Client(CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None })
        {
            BaseAddress = portal,
            Timeout = TimeSpan.FromMinutes(2),
        };

    /// <summary>Signs in through the sign-in form (antiforgery token and all), as a browser does.</summary>
    private async Task<HttpClient> SignedInAsync(string email)
    {
        var client = Client(new CookieContainer());
        var form = await client.GetStringAsync("/account/sign-in");
        var token = Antiforgery().Match(form);
        if (!token.Success)
            throw new InvalidOperationException("The sign-in form has no antiforgery token.");
        using var response = await client.PostAsync("/account/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
        if ((int)response.StatusCode is not (302 or 303))
            throw new InvalidOperationException($"Signing in as {email} answered {(int)response.StatusCode}, not a redirect.");
        return client;
    }

    private async Task<(Guid Tenant, Guid LongJob, Guid TypicalJob, Guid Dataset, string Month)> IdsAsync()
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("""
            WITH t AS (SELECT id FROM tenants WHERE name = $1)
            SELECT t.id,
                   (SELECT j.id FROM jobs j WHERE j.tenant_id = t.id ORDER BY j.finished_at - j.started_at DESC NULLS LAST LIMIT 1),
                   (SELECT j.id FROM jobs j WHERE j.tenant_id = t.id AND j.state = 'Succeeded' AND j.name LIKE 'news-%'
                    ORDER BY j.created_at DESC OFFSET 10 LIMIT 1),
                   (SELECT d.id FROM datasets d WHERE d.tenant_id = t.id ORDER BY d.created_at DESC LIMIT 1),
                   (SELECT to_char(date_trunc('month', l.ended_at, 'UTC'), 'YYYY-MM') FROM usage_ledger l WHERE l.tenant_id = t.id
                    GROUP BY 1 ORDER BY count(*) DESC LIMIT 1)
            FROM t
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantName });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
            throw new InvalidOperationException($"No tenant named '{tenantName}'.");
        return (reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetGuid(3), reader.GetString(4));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Antiforgery();

    [GeneratedRegex("\"lastId\":\"([^\"]+)\"")]
    private static partial Regex LastId();
}
