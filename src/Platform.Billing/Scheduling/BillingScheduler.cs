using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Billing.Invoices;
using Platform.Billing.Stripe;
using Platform.Billing.Usage;
using Platform.Domain.Usage;

namespace Platform.Billing.Scheduling;

/// <summary>
/// What one tick did. Ran is false when another instance held the scheduler lock (it did the work);
/// Failures name the steps that threw (each was logged; the others still ran).
/// </summary>
public sealed record BillingTickResult(
    DateTimeOffset At,
    bool Ran,
    long SegmentsIngested,
    int InvoicesCreated,
    int StripeEventsSent,
    IReadOnlyList<string> Failures)
{
    public bool Succeeded => Ran && Failures.Count == 0;
}

/// <summary>
/// Keeps billing current without anyone pressing a button: every <see cref="BillingSchedulerOptions.Interval"/>
/// it copies closed usage segments into the ledger, closes periods that have ended into invoices, and,
/// when Stripe keys are set, sends unreported ledger rows to Stripe's meters. Every web instance may
/// run it; a PostgreSQL advisory lock lets one of them work per tick (the others skip), and each
/// command is idempotent on its own, so a tick cut short anywhere is simply finished by the next one.
/// A failing step is logged and never stops the host or the following steps.
/// </summary>
public sealed class BillingScheduler(
    IServiceScopeFactory scopes,
    NpgsqlDataSource dataSource,
    TimeProvider clock,
    IOptions<BillingSchedulerOptions> options,
    IOptions<StripeOptions> stripe,
    ILogger<BillingScheduler> logger) : BackgroundService
{
    /// <summary>The advisory lock's name; hashed to the lock key in SQL, as ClosePeriodCommand names its locks.</summary>
    public const string LockName = "platform-billing-scheduler";

    private volatile BillingTickResult? _lastTick;

    /// <summary>This instance's latest tick, for the finance pages (null before the first).</summary>
    public BillingTickResult? LastTick => _lastTick;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            logger.LogInformation("Billing scheduler disabled (BillingScheduler:Enabled is false)");
            return;
        }
        // Let the host finish starting before the first tick's database work.
        await Task.Yield();
        using var timer = new PeriodicTimer(settings.Interval, clock);
        try
        {
            do
            {
                try
                {
                    await TickAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // The database was unreachable, say: try again next tick rather than stop the host.
                    logger.LogError(e, "Billing scheduler tick failed");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>One tick: ingest, close due periods, report to Stripe, under the scheduler lock. Tests call it directly.</summary>
    public async Task<BillingTickResult> TickAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        // A session lock on a connection held for the tick: released explicitly below, and by the server
        // if this process dies, so a crashed instance never blocks the others.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (!await LockAsync(connection, "pg_try_advisory_lock", cancellationToken))
        {
            logger.LogDebug("Billing scheduler: another instance holds the lock; skipping this tick");
            return _lastTick = new BillingTickResult(now, false, 0, 0, 0, []);
        }
        try
        {
            var failures = new List<string>();
            await using var scope = scopes.CreateAsyncScope();
            var services = scope.ServiceProvider;
            var settings = options.Value;

            long ingested = 0;
            if (services.GetService<IUsageSource>() is not null)
            {
                // The window ends a day ahead: segments end at the database's clock, which may run ahead of ours.
                ingested = await StepAsync("ingest usage", failures, () => services.GetRequiredService<IngestUsageCommand>()
                    .ExecuteAsync(now - settings.IngestLookback, now.AddDays(1), cancellationToken: cancellationToken), cancellationToken);
            }
            var invoices = await StepAsync("close due periods", failures,
                () => services.GetRequiredService<CloseDuePeriodsCommand>().ExecuteAsync(cancellationToken), cancellationToken);
            var sent = 0;
            if (stripe.Value.Enabled)
            {
                sent = await StepAsync("report usage to Stripe", failures,
                    () => services.GetRequiredService<ReportUsageToStripeCommand>().ExecuteAsync(settings.StripeBatchSize, cancellationToken),
                    cancellationToken);
            }
            if (ingested > 0 || invoices > 0 || sent > 0)
            {
                logger.LogInformation("Billing scheduler: {Segments} segment(s) ingested, {Invoices} invoice(s) created, {Sent} meter event(s) sent to Stripe",
                    ingested, invoices, sent);
            }
            return _lastTick = new BillingTickResult(now, true, ingested, invoices, sent, failures);
        }
        finally
        {
            await LockAsync(connection, "pg_advisory_unlock", CancellationToken.None);
        }
    }

    private async Task<T> StepAsync<T>(string name, List<string> failures, Func<Task<T>> step, CancellationToken cancellationToken)
    {
        try
        {
            return await step();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogError(e, "Billing scheduler: {Step} failed", name);
            failures.Add($"{name}: {e.Message}");
            return default!;
        }
    }

    private static async Task<bool> LockAsync(NpgsqlConnection connection, string function, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {function}(hashtextextended($1, 0))", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = LockName });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }
}
