using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using Platform.Domain.Tenants;

namespace Platform.Volume.Bench;

/// <summary>How much to write: the issue's "year of a busy tenant" times <see cref="Scale"/>.</summary>
internal sealed record Volume(double Scale)
{
    public int Tenants => 50;
    public int Datasets => Scaled(10_000);
    public int Jobs => Scaled(20_000);
    public long Events => (long)(4_000_000 * Scale);
    public long LossPoints => (long)(1_200_000 * Scale);
    public int Segments => Scaled(100_000);
    public int InvoiceMonths => 24;

    /// <summary>Each of the 49 other tenants holds this share of the busy tenant's rows.</summary>
    public const double OtherShare = 0.005;

    /// <summary>One job of the busy tenant ran for days: this share of its events and loss points are that job's.</summary>
    public const double LongJobShare = 0.1;

    private int Scaled(int n) => Math.Max(1, (int)(n * Scale));
}

/// <summary>
/// Writes a year of data with COPY: 49 other tenants and, for the busy tenant (the demo's, found by
/// name so its owner can sign in), datasets, jobs, events, loss points, usage segments and their ledger
/// rows, the hourly totals, and 24 months of invoices per tenant. Rows are plausible, not real training
/// output: the pages read them as they read real ones. Refuses to seed a database twice.
/// </summary>
internal sealed class Seeder(NpgsqlDataSource db, Volume volume, string tenantName, TextWriter log)
{
    private static readonly string[] Labels = ["business", "sports", "science", "politics", "health", "travel"];
    private readonly Random _random = new(15);
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
    private Guid _owner;

    public async Task<string> RunAsync()
    {
        var total = Stopwatch.StartNew();
        await using var connection = await db.OpenConnectionAsync();
        var busy = await BusyTenantAsync(connection);
        if (await ScalarAsync<long>(connection, "SELECT count(*) FROM tenants WHERE slug LIKE 'volume-org-%'") > 0)
            throw new InvalidOperationException("This database is seeded already (tenants volume-org-*): seed a fresh one.");

        var tenants = new List<(Guid Id, string Name, double Share)> { (busy, tenantName, 1.0) };
        await CopyAsync(connection, "tenants (id, name, slug, status, created_at)", w =>
        {
            for (var i = 1; i < volume.Tenants; i++)
            {
                var id = Guid.CreateVersion7();
                var name = $"Volume Org {i:00}";
                tenants.Add((id, name, Volume.OtherShare));
                Row(w, id, name, $"volume-org-{i:00}", "Active", Time(_now.AddDays(-400)));
            }
        });

        foreach (var (id, name, share) in tenants)
        {
            var watch = Stopwatch.StartNew();
            var jobs = await SeedTenantAsync(connection, id, share);
            log.WriteLine($"  {name}: {jobs:N0} jobs in {watch.Elapsed.TotalSeconds:F1} s");
        }
        await SeedInvoicesAsync(connection, tenants.Select(t => (t.Id, t.Name)).ToList());
        await ExecAsync(connection, """
            INSERT INTO usage_hourly_totals (tenant_id, device_kind, hour, seconds, segments)
            SELECT tenant_id, device_kind, date_trunc('hour', ended_at, 'UTC'), sum(seconds), count(*)
            FROM usage_ledger WHERE job_id IN (SELECT id FROM jobs WHERE name LIKE 'news-%')
            GROUP BY 1, 2, 3
            ON CONFLICT (tenant_id, device_kind, hour) DO UPDATE
              SET seconds = usage_hourly_totals.seconds + excluded.seconds, segments = usage_hourly_totals.segments + excluded.segments
            """);
        var key = await ApiKeyAsync(connection, busy);
        log.WriteLine("  analysing");
        await ExecAsync(connection, "ANALYZE");
        log.WriteLine($"seeded in {total.Elapsed.TotalSeconds:F0} s");
        return key;
    }

    private async Task<Guid> BusyTenantAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("""
            SELECT t.id, m.user_id FROM tenants t JOIN tenant_memberships m ON m.tenant_id = t.id AND m.role = 'Owner'
            WHERE t.name = $1 ORDER BY m.created_at LIMIT 1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantName });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
            throw new InvalidOperationException($"No tenant named '{tenantName}' with an owner: start the portal with --seed-demo first (./platform up).");
        _owner = reader.GetGuid(1);
        return reader.GetGuid(0);
    }

    private async Task<int> SeedTenantAsync(NpgsqlConnection connection, Guid tenant, double share)
    {
        var datasetCount = Math.Max(1, (int)(volume.Datasets * share));
        var jobCount = Math.Max(2, (int)(volume.Jobs * share));
        var events = (long)(volume.Events * share);
        var lossPoints = (long)(volume.LossPoints * share);
        var segmentCount = Math.Max(jobCount, (int)(volume.Segments * share));
        var year = TimeSpan.FromDays(365);

        var datasets = new (Guid Id, string Name, int Version, DateTimeOffset At)[datasetCount];
        await CopyAsync(connection, """
            datasets (id, tenant_id, name, version, kind, status, content_hash, artifact_path, split_path, size_bytes, row_count,
                      train_count, validation_count, label_counts, text_column, label_column, warnings, stats, samples, split_seed,
                      created_by_user_id, created_at)
            """, w =>
        {
            for (var i = 0; i < datasetCount; i++)
            {
                var id = Guid.CreateVersion7();
                var at = _now - year + year * ((i + 0.5) / datasetCount);
                var name = $"news-{i % 500:000}";
                var version = i / 500 + 1;
                datasets[i] = (id, name, version, at);
                var rows = 2000 + _random.Next(50_000);
                var counts = string.Join(',', Labels.Select(l => $"\"{l}\":{rows / Labels.Length}"));
                var samples = string.Join(',', Enumerable.Range(0, 8).Select(k => $"{{\"text\":\"Sample headline {k} about {Labels[k % Labels.Length]} with a few more words\",\"label\":\"{Labels[k % Labels.Length]}\"}}"));
                Row(w, id, tenant, name, version, "Text", "Ready", Hex(id), $"tenants/{tenant:N}/datasets/{id:N}/data.csv",
                    $"tenants/{tenant:N}/datasets/{id:N}/split.json", rows * 80L, rows, rows * 9 / 10, rows / 10, $"{{{counts}}}", "text", "label", "[]",
                    $"{{\"meanLength\":{40 + _random.Next(60)},\"maxLength\":{200 + _random.Next(300)},\"duplicates\":0}}", $"[{samples}]", 42, _owner, Time(at));
            }
        });

        // Jobs: newest last in time; the newest succeeded one is the long job that holds a tenth of the events.
        var jobs = new (Guid Id, DateTimeOffset Created, DateTimeOffset Started, DateTimeOffset Finished, string State, int Epochs)[jobCount];
        var longJob = jobCount - 2;
        await CopyAsync(connection, """
            jobs (id, tenant_id, kind, name, state, priority, attempt, max_attempts, payload, progress, result, error, created_by,
                  created_at, started_at, finished_at)
            """, w =>
        {
            for (var i = 0; i < jobCount; i++)
            {
                var id = Guid.CreateVersion7();
                var created = _now - year + year * ((i + 0.5) / jobCount);
                var long_ = i == longJob;
                var runtime = TimeSpan.FromSeconds(long_ ? 3 * 86400 : 300 + _random.Next(3600));
                var started = created.AddSeconds(5 + _random.Next(60));
                var finished = started + runtime;
                var roll = _random.Next(100);
                var state = long_ ? "Succeeded" : roll < 80 ? "Succeeded" : roll < 92 ? "Failed" : "Cancelled";
                var epochs = long_ ? 400 : 3 + _random.Next(5);
                jobs[i] = (id, created, started, finished, state, epochs);
                var dataset = datasets[_random.Next(datasets.Length)];
                var payload = $$"""{"DataPath":null,"BaseModel":"bert-tiny","Options":{"Epochs":{{epochs}},"BatchSize":16,"LearningRate":5E-05,"MaxLength":128,"Seed":42},"Dataset":{"Id":"{{dataset.Id}}","Kind":"Text","ArtifactPath":"tenants/{{tenant:N}}/datasets/{{dataset.Id:N}}/data.csv","SplitPath":null},"BaseModelName":"bert-tiny"}""";
                var steps = epochs * 500L;
                var progress = $$"""{"step":{{steps}},"total_steps":{{steps}},"epoch":{{epochs}},"epochs":{{epochs}},"loss":0.31,"learning_rate":0,"samples_per_second":120.5,"eta_seconds":0}""";
                var accuracy = 0.7 + _random.NextDouble() * 0.25;
                var result = state == "Succeeded"
                    ? $$"""{"modelFolder":"tenants/{{tenant:N}}/models/{{id:N}}","accuracy":{{accuracy.ToString("0.0000", CultureInfo.InvariantCulture)}},"macroF1":{{(accuracy - 0.03).ToString("0.0000", CultureInfo.InvariantCulture)}}}"""
                    : null;
                Row(w, id, tenant, "train", $"{dataset.Name} v{dataset.Version} · bert-tiny", state, 0, 1, 3, payload, progress, result,
                    state == "Failed" ? "The worker ran out of memory." : null, _owner, Time(created), Time(started), Time(finished));
            }
        });

        var longEvents = (long)(events * Volume.LongJobShare);
        var perJobEvents = Math.Max(4, (events - longEvents) / Math.Max(1, jobCount - 1));
        await CopyAsync(connection, "job_events (tenant_id, job_id, at, type, message, data)", w =>
        {
            for (var i = 0; i < jobCount; i++)
            {
                var job = jobs[i];
                var count = i == longJob ? Math.Max(perJobEvents, longEvents) : perJobEvents;
                var span = job.Finished - job.Started;
                Row(w, tenant, job.Id, Time(job.Created), "queued", "Queued", null);
                Row(w, tenant, job.Id, Time(job.Started), "started", "Started on worker volume-1 (cpu)", null);
                var epochEvery = Math.Max(1, (count - 3) / job.Epochs);
                for (long k = 0; k < count - 3; k++)
                {
                    var at = job.Started + span * ((k + 1.0) / count);
                    if ((k + 1) % epochEvery == 0 && (k + 1) / epochEvery <= job.Epochs)
                    {
                        var epoch = (k + 1) / epochEvery;
                        var loss = 1.5 / (1 + epoch * 0.4);
                        Row(w, tenant, job.Id, Time(at), "epoch", $"Epoch {epoch}: train loss {loss:F4}",
                            string.Create(CultureInfo.InvariantCulture, $$"""{"Epoch":{{epoch}},"TrainLoss":{{loss:F4}},"ValidationLoss":{{loss * 1.1:F4}},"ValidationAccuracy":{{0.6 + 0.3 * epoch / job.Epochs:F4}}}"""));
                    }
                    else if (k % 50 == 25)
                        Row(w, tenant, job.Id, Time(at), "checkpoint", $"Checkpoint at step {k * 10 + 10} saved", null);
                    else
                        Row(w, tenant, job.Id, Time(at), "log", $"step {k * 10 + 10}: loss {1.5 / (1 + k * 0.01):F4}, 120.5 samples/s", null);
                }
                Row(w, tenant, job.Id, Time(job.Finished), job.State.ToLowerInvariant(), job.State, null);
            }
        });

        var longLoss = (long)(lossPoints * Volume.LongJobShare);
        var perJobLoss = Math.Max(1, (lossPoints - longLoss) / Math.Max(1, jobCount - 1));
        await CopyAsync(connection, "job_loss_points (tenant_id, job_id, step, total_steps, loss, learning_rate, attempt, recorded_at)", w =>
        {
            for (var i = 0; i < jobCount; i++)
            {
                var job = jobs[i];
                var count = i == longJob ? Math.Max(perJobLoss, longLoss) : perJobLoss;
                var totalSteps = count * 10;
                var span = job.Finished - job.Started;
                for (long k = 1; k <= count; k++)
                    Row(w, tenant, job.Id, k * 10, totalSteps, 1.5 / (1 + k * 0.01) + _random.NextDouble() * 0.05, 5e-5, 1,
                        Time(job.Started + span * ((double)k / count)));
            }
        });

        // Segments: a job's run split into equal parts, every part closed and in the ledger under the
        // emitter's key (job:attempt:segment).
        var perJob = Math.Max(1, segmentCount / jobCount);
        var workers = new[] { Guid.CreateVersion7(), Guid.CreateVersion7() };
        await CopyAsync(connection, "usage_segments (job_id, attempt, segment, tenant_id, worker_id, device_kind, started_at, ended_at, closed)", w =>
        {
            foreach (var job in jobs)
                foreach (var (segment, from, to) in Parts(job.Started, job.Finished, perJob))
                    Row(w, job.Id, 1, segment, tenant, workers[segment % 2], segment % 3 == 0 ? "cpu" : "cuda", Time(from), Time(to), true);
        });
        await CopyAsync(connection, "usage_ledger (idempotency_key, tenant_id, job_id, attempt, segment, worker_id, device_kind, started_at, ended_at, seconds, ingested_at, stripe_reported_at)", w =>
        {
            foreach (var job in jobs)
                foreach (var (segment, from, to) in Parts(job.Started, job.Finished, perJob))
                {
                    Row(w, $"{job.Id:N}:1:{segment}", tenant, job.Id, 1, segment, workers[segment % 2], segment % 3 == 0 ? "cpu" : "cuda",
                        Time(from), Time(to), (long)Math.Ceiling((to - from).TotalSeconds), Time(to.AddSeconds(30)), Time(to.AddSeconds(60)));
                }
        });
        return jobCount;
    }

    private static IEnumerable<(int Segment, DateTimeOffset From, DateTimeOffset To)> Parts(DateTimeOffset start, DateTimeOffset end, int parts)
    {
        var width = (end - start) / parts;
        for (var s = 0; s < parts; s++)
            yield return (s, start + width * s, s == parts - 1 ? end : start + width * (s + 1));
    }

    /// <summary>24 closed monthly periods per tenant, paid, one line each (the invoice pages read these).</summary>
    private async Task SeedInvoicesAsync(NpgsqlConnection connection, IReadOnlyList<(Guid Id, string Name)> tenants)
    {
        var month = new DateTimeOffset(_now.Year, _now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var invoices = new List<(Guid Id, decimal Total, long Gpu, long Cpu)>();
        var number = 0;
        await CopyAsync(connection, """
            invoices (id, tenant_id, number, period_start, period_end, status, currency, total, gpu_seconds, cpu_seconds, ledger_rows,
                      created_at, finalized_at, paid_at, due_at, buyer_name)
            """, w =>
        {
            foreach (var (tenant, name) in tenants)
            {
                for (var m = volume.InvoiceMonths; m >= 1; m--)
                {
                    var start = month.AddMonths(-m);
                    var end = start.AddMonths(1);
                    var gpu = 3600L * (20 + _random.Next(200));
                    var cpu = 3600L * (5 + _random.Next(50));
                    var total = Math.Round(gpu / 3600m * 2.5m + cpu / 3600m * 0.1m, 2);
                    var id = Guid.CreateVersion7();
                    invoices.Add((id, total, gpu, cpu));
                    Row(w, id, tenant, $"VOL-{++number:000000}", Time(start), Time(end), "paid", "USD", total, gpu, cpu, 100,
                        Time(end.AddHours(1)), Time(end.AddHours(1)), Time(end.AddDays(3)), Time(end.AddDays(31)), name);
                }
            }
        });
        await CopyAsync(connection, "invoice_lines (invoice_id, line_no, kind, description, device_kind, seconds, unit_price, amount)", w =>
        {
            foreach (var (id, total, gpu, cpu) in invoices)
            {
                Row(w, id, 1, "Overage", "GPU hours", "cuda", gpu, 2.5m, Math.Round(gpu / 3600m * 2.5m, 2));
                Row(w, id, 2, "Overage", "CPU hours", "cpu", cpu, 0.1m, total - Math.Round(gpu / 3600m * 2.5m, 2));
            }
        });
        log.WriteLine($"  invoices: {invoices.Count:N0}");
    }

    /// <summary>An API key of the busy tenant for the bench's API requests; its plain text is returned once.</summary>
    private async Task<string> ApiKeyAsync(NpgsqlConnection connection, Guid tenant)
    {
        var created = ApiKey.Create(tenant, "volume bench", _owner, _now);
        var (key, plain) = created.Value;
        await using var command = new NpgsqlCommand("""
            INSERT INTO api_keys (id, tenant_id, name, prefix, secret_hash, created_by_user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, connection);
        foreach (var value in new object[] { key.Id, key.TenantId, key.Name, key.Prefix, key.SecretHash, key.CreatedByUserId, key.CreatedAt })
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        await command.ExecuteNonQueryAsync();
        return plain;
    }

    private async Task CopyAsync(NpgsqlConnection connection, string target, Action<TextWriter> write)
    {
        var watch = Stopwatch.StartNew();
        var table = target.Split(' ', 2)[0];
        long rows;
        await using (var writer = await connection.BeginTextImportAsync($"COPY {target} FROM STDIN"))
        {
            var counting = new CountingWriter(writer);
            write(counting);
            rows = counting.Lines;
        }
        log.WriteLine($"    {table}: {rows:N0} rows in {watch.Elapsed.TotalSeconds:F1} s");
    }

    private static void Row(TextWriter w, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (i > 0)
                w.Write('\t');
            w.Write(values[i] switch
            {
                null => "\\N",
                bool b => b ? "t" : "f",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                var v => v.ToString(),
            });
        }
        w.Write('\n');
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff'+00'", CultureInfo.InvariantCulture);

    private static string Hex(Guid id) => (id.ToString("N") + id.ToString("N"))[..64];

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Counts the rows written (one newline each) for the progress log.</summary>
    private sealed class CountingWriter(TextWriter inner) : TextWriter
    {
        public long Lines { get; private set; }

        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            if (value == '\n')
                Lines++;
            inner.Write(value);
        }

        public override void Write(string? value) => inner.Write(value);
    }
}
