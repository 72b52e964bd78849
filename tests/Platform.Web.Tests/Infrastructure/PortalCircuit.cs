using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Platform.Data;
using Platform.Data.Tenants;
using Platform.Web.Accounts;

namespace Platform.Web.Tests.Infrastructure;

/// <summary>
/// A bunit circuit over the portal's real services (the database, the commands): the component under
/// test resolves what <c>register</c> copies from <paramref name="scope"/>, its tenant through the real
/// <see cref="CircuitTenant"/>, as the signed-in <paramref name="userId"/>.
/// </summary>
internal static class PortalCircuit
{
    // A guard against a hang, not a timing assertion.
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    public static BunitContext Create(AsyncServiceScope scope, Guid userId, params Type[] services)
    {
        var context = new BunitContext();
        var provider = scope.ServiceProvider;
        context.Services.AddMudServices();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        foreach (var type in services)
            context.Services.AddSingleton(type, provider.GetRequiredService(type));
        context.Services.AddSingleton(TimeProvider.System);
        context.Services.AddSingleton(sp => new CircuitTenant(sp.GetRequiredService<AuthenticationStateProvider>(),
            provider.GetRequiredService<CurrentTenant>(), provider.GetRequiredService<ListMyTenantsQuery>()));
        context.AddAuthorization().SetAuthorized("user").SetClaims(new Claim(ClaimTypes.NameIdentifier, userId.ToString()));
        context.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        return context;
    }

    // Grids load their page off the render that started it; bunit's WaitForAssertion checks only on
    // renders it sees, so poll the markup instead.
    public static async Task EventuallyAsync(Action assertion)
    {
        var deadline = DateTime.UtcNow + Guard;
        while (true)
        {
            try
            {
                assertion();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>
    /// Finds and clicks on the renderer's thread, so no render can drop the handler in between; the
    /// returned task is the handler's (a click that opens a dialog ends when the dialog does).
    /// </summary>
    public static async Task<Task> ClickAsync<T>(IRenderedComponent<T> component, Func<AngleSharp.Dom.IElement> find)
        where T : IComponent
    {
        var clicked = Task.CompletedTask;
        await component.InvokeAsync(() => { clicked = find().ClickAsync(new()); });
        return clicked;
    }

    /// <summary>Clicks the open dialog's button with <paramref name="text"/> and waits for the action it confirms.</summary>
    public static async Task AnswerAsync<T>(IRenderedComponent<T> component, Task asking, string question, string text)
        where T : IComponent
    {
        await EventuallyAsync(() => Assert.Contains(question, component.Markup));
        await await ClickAsync(component, () => component.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == text));
        await asking;
    }
}
