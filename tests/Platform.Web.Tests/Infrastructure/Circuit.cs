using System.Security.Claims;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Platform.Data;
using Platform.Data.Identity;
using Platform.Data.Tenants;
using Platform.Web.Accounts;

namespace Platform.Web.Tests.Infrastructure;

/// <summary>
/// An interactive component on a stand-in circuit (bunit) over the real portal's services: the
/// component's dependencies come from one scope of the portal, so they share its database and its
/// CurrentTenant, and it enters its tenant through the real <see cref="CircuitTenant"/>; bunit's
/// authorization stands in for the signed-in user and the policies.
/// </summary>
internal static class Circuit
{
    // A guard against a hang, not a timing assertion.
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    /// <summary>A circuit for <paramref name="userId"/>; a platform admin passes the PlatformAdmin policy, finance the Finance one.</summary>
    public static BunitContext Start(IServiceProvider scope, Guid userId, IEnumerable<Type> fromScope, params string[] roles) =>
        Start(scope, userId, fromScope, out _, roles);

    /// <summary>
    /// As <see cref="Start(IServiceProvider, Guid, IEnumerable{Type}, string[])"/>, with the page's persisted component state:
    /// empty, as on a circuit whose page kept nothing; a test fills it with what a prerender kept.
    /// </summary>
    public static BunitContext Start(IServiceProvider scope, Guid userId, IEnumerable<Type> fromScope, out BunitPersistentComponentState kept,
        params string[] roles)
    {
        var context = new BunitContext();
        context.Services.AddMudServices();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        foreach (var type in fromScope)
            context.Services.AddSingleton(type, scope.GetRequiredService(type));
        context.Services.AddSingleton(TimeProvider.System);
        context.Services.AddSingleton(sp => new CircuitTenant(sp.GetRequiredService<AuthenticationStateProvider>(),
            scope.GetRequiredService<CurrentTenant>(), scope.GetRequiredService<ListMyTenantsQuery>()));
        var authorization = context.AddAuthorization().SetAuthorized("user");
        var policies = new List<string>();
        if (roles.Contains(PlatformRoles.PlatformAdmin))
            policies.Add(PortalPolicies.PlatformAdmin);
        if (roles.Contains(PlatformRoles.Finance))
            policies.Add(PortalPolicies.Finance);
        if (roles.Length > 0)
            authorization.SetRoles(roles).SetPolicies([.. policies]);
        // Last: bunit's SetRoles builds a new principal without the claims set before it.
        authorization.SetClaims(new Claim(ClaimTypes.NameIdentifier, userId.ToString()));
        kept = context.AddBunitPersistentComponentState();
        context.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        return context;
    }

    /// <summary>
    /// Polls the markup until <paramref name="assertion"/> holds: a grid loads its page off the render that
    /// started it, which bunit's WaitForAssertion does not see.
    /// </summary>
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
    /// Finds and clicks on the renderer's thread, so no render can drop the handler in between; the returned
    /// task is the handler's (a click that opens a dialog ends when the dialog does).
    /// </summary>
    public static async Task<Task> ClickAsync<T>(IRenderedComponent<T> component, Func<AngleSharp.Dom.IElement> find) where T : IComponent
    {
        var clicked = Task.CompletedTask;
        await component.InvokeAsync(() => { clicked = find().ClickAsync(new()); });
        return clicked;
    }

    /// <summary>
    /// Clicks the open dialog's button labelled <paramref name="label"/> (the page may have a button of the same
    /// name), once the dialog asks <paramref name="question"/> where given, waits for the click that opened the
    /// dialog to end, and fails with what the handler threw: the renderer catches an event handler's exception,
    /// so the click itself would end quietly.
    /// </summary>
    public static async Task AnswerAsync<T>(BunitContext circuit, IRenderedComponent<T> component, Task asking, string label,
        string? question = null) where T : IComponent
    {
        if (question is not null)
            await EventuallyAsync(() => Assert.Contains(question, component.Markup));
        await EventuallyAsync(() => Assert.Contains(component.FindAll(".mud-dialog button"), b => b.TextContent.Trim() == label));
        await await ClickAsync(component, () => component.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == label));
        await asking;
        if (circuit.Renderer.UnhandledException.IsCompleted)
            throw new InvalidOperationException("The handler failed.", await circuit.Renderer.UnhandledException);
    }
}
