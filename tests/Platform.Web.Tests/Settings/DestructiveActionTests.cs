using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.ApiKeys;
using Platform.Data.Datasets;
using Platform.Web.Components.Pages.Datasets;
using Platform.Web.Components.Pages.Settings;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;
using static Platform.Web.Tests.Infrastructure.Circuit;

namespace Platform.Web.Tests.Settings;

/// <summary>
/// Revoking an API key and deleting a dataset from its page, on a circuit over the
/// real database: each asks in a dialog first, does nothing when kept, and says what it did.
/// </summary>
public sealed class DestructiveActionTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task ApiKeyTable_RevokeAskedThenConfirmed_RevokesAndSaysSo()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var key = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("ci"));
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Start(scope.ServiceProvider, owner.UserId, [typeof(ListApiKeysQuery), typeof(RevokeApiKeyCommand)]);
        var table = circuit.Render<ApiKeyTable>(p => p.Add(t => t.TenantId, owner.TenantId).Add(t => t.IsOwner, true));
        await EventuallyAsync(() => table.Find($".key-revoke[data-key='{key.Value.Id}']"));

        var asking = await ClickAsync(table, () => table.Find($".key-revoke[data-key='{key.Value.Id}']"));
        await AnswerAsync(circuit, table, asking, "Keep it", question: "Revoke “ci”?");
        Assert.Equal(0L, await RevokedAsync(key.Value.Id));

        var revoking = await ClickAsync(table, () => table.Find($".key-revoke[data-key='{key.Value.Id}']"));
        await AnswerAsync(circuit, table, revoking, "Revoke key", question: "Revoke “ci”?");

        Assert.Equal(1L, await RevokedAsync(key.Value.Id));
        await EventuallyAsync(() => Assert.Contains("“ci” is revoked.", table.Markup));
        await EventuallyAsync(() => Assert.Contains("Revoked", table.Find($"tr[data-key='{key.Value.Id}']").TextContent));
        Assert.Empty(table.FindAll(".key-revoke"));
    }

    [Fact]
    public async Task ApiKeyTable_Member_IsNotOfferedRevoke()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("ci"));
        var member = await portal.CreateUserAsync();
        await portal.AddMemberAsync(owner.TenantId, member);
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Start(scope.ServiceProvider, member.Id, [typeof(ListApiKeysQuery), typeof(RevokeApiKeyCommand)]);

        var table = circuit.Render<ApiKeyTable>(p => p.Add(t => t.TenantId, owner.TenantId).Add(t => t.IsOwner, false));

        await EventuallyAsync(() => Assert.Single(table.FindAll("#key-table tbody tr")));
        Assert.Empty(table.FindAll(".key-revoke"));
    }

    [Fact]
    public async Task DeleteDatasetButton_Confirmed_DeletesRowAndFilesAndGoesToTheList()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var dataset = await JobTestKit.UploadCsvAsync(owner.Client, "to delete");
        Assert.NotEmpty(portal.TenantFiles(owner.TenantId));
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Start(scope.ServiceProvider, owner.UserId, [typeof(DeleteDatasetCommand)]);
        var navigation = circuit.Services.GetRequiredService<Bunit.TestDoubles.BunitNavigationManager>();
        var button = circuit.Render<DeleteDatasetButton>(p => p.Add(b => b.TenantId, owner.TenantId).Add(b => b.DatasetId, dataset)
            .Add(b => b.Title, "to delete v1"));

        var asking = await ClickAsync(button, () => button.Find("#delete-dataset"));
        await AnswerAsync(circuit, button, asking, "Keep it", question: "Delete to delete v1?");
        Assert.Equal(1L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM datasets WHERE id = '{dataset}'"));

        var deleting = await ClickAsync(button, () => button.Find("#delete-dataset"));
        await AnswerAsync(circuit, button, deleting, "Delete dataset", question: "Delete to delete v1?");

        Assert.Equal(0L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM datasets WHERE id = '{dataset}'"));
        Assert.Empty(portal.TenantFiles(owner.TenantId));
        Assert.EndsWith("/datasets", navigation.Uri);
    }

    private async Task<long> RevokedAsync(Guid keyId) =>
        await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM api_keys WHERE id = '{keyId}' AND revoked_at IS NOT NULL");
}
