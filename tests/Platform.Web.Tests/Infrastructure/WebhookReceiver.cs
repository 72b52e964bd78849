using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Platform.Web.Tests.Infrastructure;

/// <summary>
/// A real HTTP endpoint on a loopback port (HttpListener) that records each request it gets (headers and
/// body) and answers with the next status of <see cref="Answers"/>, 200 once they run out.
/// </summary>
public sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _serving;

    public WebhookReceiver()
    {
        // A free port: bound once by the OS, then handed to the listener.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        // By name too, so a sender that let "localhost" through would be heard (WebhookTargetTests).
        _listener.Prefixes.Add($"http://localhost:{Port}/");
        _listener.Start();
        _serving = ServeAsync();
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/hooks/platform";

    public string LocalhostUrl => $"http://localhost:{Port}/hooks/platform";

    public ConcurrentQueue<HttpStatusCode> Answers { get; } = new();

    /// <summary>The Location header of a 3xx answer: where a sender that follows redirects would go next.</summary>
    public string? RedirectTo { get; set; }

    public ConcurrentQueue<(IReadOnlyDictionary<string, string> Headers, string Body)> Requests { get; } = new();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => context.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
            Requests.Enqueue((headers, body));
            context.Response.StatusCode = (int)(Answers.TryDequeue(out var status) ? status : HttpStatusCode.OK);
            if (context.Response.StatusCode is >= 300 and < 400 && RedirectTo is not null)
                context.Response.RedirectLocation = RedirectTo;
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(10));
    }
}
