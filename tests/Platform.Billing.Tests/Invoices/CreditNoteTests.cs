using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Invoices;
using Platform.Billing.Tests.Domain;
using Platform.Domain.Common;
using Platform.Testing;

namespace Platform.Billing.Tests.Invoices;

/// <summary>Credit notes issued at the same time on one invoice, on the real database at READ COMMITTED.</summary>
public sealed class CreditNoteTests : IAsyncLifetime
{
    private static readonly DateTimeOffset June = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly BillingHost _host = new();

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    /// <summary>An open June invoice of $100.00 (the starter plan's fee, no usage).</summary>
    private async Task<Guid> HundredDollarInvoiceAsync()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        _host.Clock.Now = June.AddMonths(1).AddHours(7);
        var closed = await _host.RunAsync(sp => sp.GetRequiredService<ClosePeriodCommand>().ExecuteAsync(tenant.Id, June));
        Assert.True(closed.IsSuccess, closed.Error);
        Assert.Equal(100.00m, await _host.Database.ScalarAsync<decimal>("SELECT total FROM invoices"));
        return closed.Value.InvoiceId;
    }

    /// <summary>
    /// Issues <paramref name="count"/> credits while another transaction holds the invoice's row lock, and
    /// lets them go only once every one waits for that lock: they then run as close together as PostgreSQL allows.
    /// </summary>
    private async Task<Result<Guid>[]> CreditAtOnceAsync(Guid invoiceId, int count, decimal amount)
    {
        await using var blocker = await _host.Database.DataSource.OpenConnectionAsync();
        await using var hold = await blocker.BeginTransactionAsync();
        await using (var lockRow = new Npgsql.NpgsqlCommand("SELECT 1 FROM invoices WHERE id = $1 FOR UPDATE", blocker, hold))
        {
            lockRow.Parameters.Add(new Npgsql.NpgsqlParameter { Value = invoiceId });
            await lockRow.ExecuteNonQueryAsync();
        }
        var tasks = Enumerable.Range(0, count).Select(i => Task.Run(() =>
            _host.RunAsync(sp => sp.GetRequiredService<CreateCreditNoteCommand>().ExecuteAsync(invoiceId, amount, $"Credit {i}")))).ToList();
        var waiting = 0L;
        for (var polls = 0; waiting < count && polls < 10_000 && !tasks.Any(t => t.IsCompleted); polls++)
        {
            waiting = await _host.Database.ScalarAsync<long>(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
        }
        Assert.Equal(count, waiting);
        await hold.RollbackAsync();
        return await Task.WhenAll(tasks);
    }

    [Fact]
    public async Task Execute_SixConcurrentCreditsOf30OnA100Invoice_ThreeAcceptedAndNeverMoreThanTheTotal()
    {
        var invoiceId = await HundredDollarInvoiceAsync();

        var results = await CreditAtOnceAsync(invoiceId, 6, 30.00m);

        Assert.Equal(3, results.Count(r => r.IsSuccess));
        Assert.All(results.Where(r => !r.IsSuccess), r => Assert.Equal(ResultStatus.Conflict, r.Status));
        Assert.Equal(90.00m, await _host.Database.ScalarAsync<decimal>("SELECT sum(amount) FROM credit_notes"));
    }

    [Fact]
    public async Task Execute_TwoConcurrentFullCredits_OneAccepted()
    {
        var invoiceId = await HundredDollarInvoiceAsync();

        var results = await CreditAtOnceAsync(invoiceId, 2, 100.00m);

        Assert.Single(results, r => r.IsSuccess);
        Assert.Equal(100.00m, await _host.Database.ScalarAsync<decimal>("SELECT sum(amount) FROM credit_notes"));
    }
}
