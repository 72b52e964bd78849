using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Invoices;
using Platform.Billing.Tests.Domain;
using Platform.Testing;

namespace Platform.Billing.Tests.Invoices;

/// <summary>Numbers as a tax authority reads them: gapless per series, given at issue; issue and due dates; reissue after void.</summary>
public sealed class InvoiceNumberingTests : IAsyncLifetime
{
    private static readonly DateTimeOffset June = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly BillingHost _host = new();

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private async Task<Guid> TenantOnStarterAsync()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        _host.Clock.Now = June;
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        return tenant.Id;
    }

    private async Task<ClosePeriodResult> CloseJuneAsync(Guid tenantId, bool finalize = true)
    {
        _host.Clock.Now = June.AddMonths(1).AddHours(7);
        var closed = await _host.RunAsync(sp => sp.GetRequiredService<ClosePeriodCommand>().ExecuteAsync(tenantId, June, finalize));
        Assert.True(closed.IsSuccess, closed.Error);
        return closed.Value;
    }

    private Task<InvoiceView> ViewAsync(Guid id) =>
        _host.RunAsync(async sp => (await sp.GetRequiredService<InvoiceQueries>().GetForFinanceAsync(id)).Value);

    private Task<Platform.Domain.Common.Result> MoveAsync(Guid id, InvoiceStatus status) =>
        _host.RunAsync(sp => sp.GetRequiredService<ChangeInvoiceStatusCommand>().ExecuteAsync(id, status));

    [Fact]
    public async Task Finalize_VoidedDraftBetweenIssues_NumbersHaveNoGapAndCreditNotesHaveTheirOwnSeries()
    {
        var first = await CloseJuneAsync(await TenantOnStarterAsync());
        var voidedDraft = await CloseJuneAsync(await TenantOnStarterAsync(), finalize: false);
        Assert.True((await MoveAsync(voidedDraft.InvoiceId, InvoiceStatus.Void)).IsSuccess);
        var laterDraft = await CloseJuneAsync(await TenantOnStarterAsync(), finalize: false);
        Assert.Equal(ClosePeriodCommand.DraftNumber, laterDraft.Number);
        Assert.True((await MoveAsync(laterDraft.InvoiceId, InvoiceStatus.Open)).IsSuccess);
        var credit = await _host.RunAsync(sp => sp.GetRequiredService<CreateCreditNoteCommand>().ExecuteAsync(first.InvoiceId, 10m, "Outage"));
        Assert.True(credit.IsSuccess, credit.Error);

        Assert.Equal("INV-2026-000001", first.Number);
        Assert.Equal("INV-2026-000002", (await ViewAsync(laterDraft.InvoiceId)).Number);
        Assert.Equal(ClosePeriodCommand.DraftNumber, (await ViewAsync(voidedDraft.InvoiceId)).Number);
        Assert.Equal("CN-2026-000001", Assert.Single((await ViewAsync(first.InvoiceId)).CreditNotes).Number);
        // Issued 1 July 07:00, due 30 days later.
        Assert.Equal(June.AddMonths(1).AddHours(7).AddDays(30).UtcDateTime, await _host.Database.ScalarAsync<DateTime>(
            $"SELECT due_at FROM invoices WHERE id = '{first.InvoiceId}'"));
    }

    [Fact]
    public async Task ClosePeriod_AfterTheInvoiceWasVoided_ReissuesTheInvoiceWithTheNextNumber()
    {
        var tenantId = await TenantOnStarterAsync();
        var first = await CloseJuneAsync(tenantId);
        Assert.True((await MoveAsync(first.InvoiceId, InvoiceStatus.Void)).IsSuccess);

        var reissued = await CloseJuneAsync(tenantId);

        Assert.True(reissued.Created);
        Assert.NotEqual(first.InvoiceId, reissued.InvoiceId);
        Assert.Equal("INV-2026-000002", reissued.Number);
        Assert.Equal(100.00m, (await ViewAsync(reissued.InvoiceId)).Total);
    }

    [Fact]
    public async Task DeleteTenant_WithInvoicesAndCreditNotes_KeepsThemWithTheBuyersName()
    {
        var tenantId = await TenantOnStarterAsync();
        var invoice = await CloseJuneAsync(tenantId);
        Assert.True((await _host.RunAsync(sp => sp.GetRequiredService<CreateCreditNoteCommand>().ExecuteAsync(invoice.InvoiceId, 10m, "Outage"))).IsSuccess);
        var name = await _host.Database.ScalarAsync<string>($"SELECT name FROM tenants WHERE id = '{tenantId}'");

        await using (var delete = _host.Database.DataSource.CreateCommand($"DELETE FROM tenants WHERE id = '{tenantId}'"))
            await delete.ExecuteNonQueryAsync();

        var kept = await ViewAsync(invoice.InvoiceId);
        Assert.Equal(name, kept.TenantName);
        Assert.Equal(100.00m, kept.Total);
        Assert.Equal("CN-2026-000001", Assert.Single(kept.CreditNotes).Number);
    }

    [Fact]
    public async Task CreateCreditNote_RefusedCreditsBeforeTheFirstIssued_ConsumeNoNumber()
    {
        var invoice = await CloseJuneAsync(await TenantOnStarterAsync());
        var voided = await CloseJuneAsync(await TenantOnStarterAsync());
        Assert.True((await MoveAsync(voided.InvoiceId, InvoiceStatus.Void)).IsSuccess);
        Task<Platform.Domain.Common.Result<Guid>> CreditAsync(Guid id, decimal amount) =>
            _host.RunAsync(sp => sp.GetRequiredService<CreateCreditNoteCommand>().ExecuteAsync(id, amount, "Outage"));

        // More than the invoice's total, more decimals than the currency has, a void invoice: each refused.
        Assert.Equal(Platform.Domain.Common.ResultStatus.Conflict, (await CreditAsync(invoice.InvoiceId, 1000m)).Status);
        Assert.Equal(Platform.Domain.Common.ResultStatus.BadRequest, (await CreditAsync(invoice.InvoiceId, 1.005m)).Status);
        Assert.Equal(Platform.Domain.Common.ResultStatus.Conflict, (await CreditAsync(voided.InvoiceId, 10m)).Status);
        var first = await CreditAsync(invoice.InvoiceId, 10m);
        Assert.Equal(Platform.Domain.Common.ResultStatus.Conflict, (await CreditAsync(invoice.InvoiceId, 95m)).Status);
        var second = await CreditAsync(invoice.InvoiceId, 90m);

        Assert.True(first.IsSuccess && second.IsSuccess);
        Assert.Equal(["CN-2026-000001", "CN-2026-000002"], (await ViewAsync(invoice.InvoiceId)).CreditNotes.Select(c => c.Number).Order());
        Assert.Equal(2L, await _host.Database.ScalarAsync<long>("SELECT last FROM document_number_series WHERE series = 'CN' AND year = 2026"));
    }
}
