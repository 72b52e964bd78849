using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace Platform.Web.Components.Shared;

/// <summary>
/// Hands what an interactive island read while prerendering over to its circuit (PersistentComponentState,
/// written into the page), so the circuit's first render shows the same content at once. Without it the
/// island starts empty on the circuit and reads everything again: a visible blank between the prerendered
/// page and the interactive one.
/// </summary>
public static class PrerenderedState
{
    /// <summary>What the prerender kept under <paramref name="key"/>, on the circuit; null when nothing was kept (or it was taken).</summary>
    public static T? Take<T>(this PersistentComponentState state, string key, RendererInfo renderer) where T : class =>
        renderer.IsInteractive && state.TryTakeFromJson<T>(key, out var kept) ? kept : null;

    /// <summary>Keeps <paramref name="value"/> for the circuit when this render is the prerender.</summary>
    public static void KeepForCircuit<T>(this PersistentComponentState state, string key, RendererInfo renderer, T value)
    {
        // Only while prerendering: the request's scope ends with it, so the registration needs no disposal.
        if (renderer.IsInteractive)
            return;
        state.RegisterOnPersisting(() =>
        {
            state.PersistAsJson(key, value);
            return Task.CompletedTask;
        }, RenderMode.InteractiveServer);
    }
}
