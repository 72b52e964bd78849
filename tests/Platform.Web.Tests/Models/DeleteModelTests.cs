using System.Net;
using System.Net.Http.Headers;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.ApiKeys;
using Platform.Data.Artifacts;
using Platform.Jobs.Models;
using Platform.Jobs.Predictions;
using Platform.Web.Components.Pages.Models;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;
using static Platform.Web.Tests.Infrastructure.Circuit;

namespace Platform.Web.Tests.Models;

/// <summary>
/// Deleting a model, from its page (a dialog over the circuit) and with DELETE /api/v1/models/{id}, both through
/// DeleteModelCommand over the real database and artifact store: the files go, the models list and the model page
/// no longer show it, and a model a queued batch prediction reads is refused with a reason.
/// </summary>
public sealed class DeleteModelTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    /// <summary>A succeeded job whose model is in the artifact store, where a worker puts it.</summary>
    private async Task<(Owner Owner, Guid Model, string Folder)> StoredModelAsync()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var model = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.SucceedAsync(portal, model);
        var local = Path.Combine(portal.StorageRoot, "jobs", model.ToString("N"), "model");
        var folder = $"jobs/{model:N}/model";
        await portal.WithServicesAsync(sp => sp.GetRequiredService<StoredFolders>().PutAsync(owner.TenantId, folder, local));
        await JobTestKit.ExecuteAsync(portal, $$"""
            UPDATE jobs SET result = (result - 'modelDirectory') || '{"modelFolder": "{{folder}}"}' WHERE id = '{{model}}'
            """);
        Directory.Delete(local, recursive: true);
        return (owner, model, folder);
    }

    private Task<Guid> QueueBatchPredictionAsync(Owner owner, Guid model) => JobTestKit.AsTenantAsync(portal, owner, async sp =>
    {
        var launched = await sp.GetRequiredService<LaunchBatchPredictionCommand>()
            .ExecuteAsync(model, "inputs.csv", new MemoryStream("text\nclick now to win\nsee the agenda\n"u8.ToArray()));
        Assert.True(launched.IsSuccess, launched.ToString());
        return launched.Value;
    });

    private Task<bool> StoredAsync(Owner owner, string folder) =>
        portal.WithServicesAsync(sp => sp.GetRequiredService<StoredFolders>().ExistsAsync(owner.TenantId, folder));

    private IRenderedComponent<DeleteModelButton> Button(BunitContext circuit, Owner owner, Guid model) =>
        circuit.Render<DeleteModelButton>(p => p.Add(b => b.TenantId, owner.TenantId).Add(b => b.ModelId, model).Add(b => b.Name, "spam filter"));

    [Fact]
    public async Task DeleteModelButton_KeptThenConfirmed_RemovesFilesHidesTheModelAndGoesToTheList()
    {
        var (owner, model, folder) = await StoredModelAsync();
        Assert.True(await StoredAsync(owner, folder));
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Start(scope.ServiceProvider, owner.UserId, [typeof(DeleteModelCommand)]);
        var navigation = circuit.Services.GetRequiredService<BunitNavigationManager>();
        var button = Button(circuit, owner, model);

        await AnswerAsync(circuit, button, await ClickAsync(button, () => button.Find("#delete-model")), "Keep it", question: "Delete spam filter?");
        Assert.True(await StoredAsync(owner, folder));

        await AnswerAsync(circuit, button, await ClickAsync(button, () => button.Find("#delete-model")), "Delete model", question: "Delete spam filter?");

        Assert.False(await StoredAsync(owner, folder));
        Assert.DoesNotContain(portal.TenantFiles(owner.TenantId), f => f.Contains(model.ToString("N"), StringComparison.Ordinal));
        Assert.EndsWith("/models", navigation.Uri);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.Client.GetAsync($"/models/{model}")).Status);
        Assert.DoesNotContain($"/models/{model}", (await owner.Client.GetAsync("/models")).Html);
    }

    [Fact]
    public async Task ModelGrid_RowDeleteConfirmed_RemovesTheRowAndTheFiles()
    {
        var (owner, model, folder) = await StoredModelAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Start(scope.ServiceProvider, owner.UserId, [typeof(Platform.Jobs.Portal.JobGridQuery), typeof(DeleteModelCommand)]);
        var grid = circuit.Render<ModelGrid>(p => p.Add(g => g.TenantId, owner.TenantId));
        await EventuallyAsync(() => grid.Find($".model-delete[data-model='{model}']"));

        await AnswerAsync(circuit, grid, await ClickAsync(grid, () => grid.Find($".model-delete[data-model='{model}']")), "Delete model");

        await EventuallyAsync(() => Assert.Contains("is deleted.", grid.Markup));
        await EventuallyAsync(() => Assert.Empty(grid.FindAll($".model-delete[data-model='{model}']")));
        Assert.False(await StoredAsync(owner, folder));
    }

    [Fact]
    public async Task DeleteModelButton_BatchPredictionQueued_SaysWhyAndKeepsTheModel()
    {
        var (owner, model, folder) = await StoredModelAsync();
        await QueueBatchPredictionAsync(owner, model);
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Start(scope.ServiceProvider, owner.UserId, [typeof(DeleteModelCommand)]);
        var navigation = circuit.Services.GetRequiredService<BunitNavigationManager>();
        var button = Button(circuit, owner, model);

        await AnswerAsync(circuit, button, await ClickAsync(button, () => button.Find("#delete-model")), "Delete model", question: "Delete spam filter?");

        await EventuallyAsync(() => Assert.Contains("is using this model. Cancel it or let it finish", button.Markup));
        Assert.True(await StoredAsync(owner, folder));
        Assert.Equal(HttpStatusCode.OK, (await owner.Client.GetAsync($"/models/{model}")).Status);
        Assert.DoesNotContain("/models", new Uri(navigation.Uri).AbsolutePath);
    }

    [Fact]
    public async Task ApiDelete_BatchPredictionQueued_Conflict409ThenDeletedOnceItIsCancelled()
    {
        var (owner, model, folder) = await StoredModelAsync();
        var batch = await QueueBatchPredictionAsync(owner, model);
        var key = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("tests"));
        using var http = portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { HandleCookies = false });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Value.PlainText);

        using var refused = await http.DeleteAsync($"/api/v1/models/{model}");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("is using this model", await refused.Content.ReadAsStringAsync());
        Assert.True(await StoredAsync(owner, folder));

        await JobTestKit.ExecuteAsync(portal, $"UPDATE jobs SET state = 'Cancelled' WHERE id = '{batch}'");
        using var deleted = await http.DeleteAsync($"/api/v1/models/{model}");
        using var gone = await http.GetAsync($"/api/v1/models/{model}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.False(await StoredAsync(owner, folder));
    }
}
