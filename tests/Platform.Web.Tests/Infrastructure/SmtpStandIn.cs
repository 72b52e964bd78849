using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MimeKit;

namespace Platform.Web.Tests.Infrastructure;

/// <summary>
/// A minimal SMTP server on a loopback port for tests: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP and
/// QUIT, no TLS. It keeps every message it accepts (parsed by MimeKit) and the user name each session
/// authenticated with, so a test sees exactly what the portal's MailKit client sent over the wire.
/// </summary>
public sealed class SmtpStandIn : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public SmtpStandIn()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public ConcurrentQueue<(string? User, string From, IReadOnlyList<string> To, MimeMessage Message)> Received { get; } = new();

    public IReadOnlyList<MimeMessage> To(string address) => Received
        .Where(r => r.To.Any(t => string.Equals(t, address, StringComparison.OrdinalIgnoreCase)))
        .Select(r => r.Message).ToList();

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        await writer.WriteLineAsync("220 smtp-stand-in ESMTP");
        string? user = null, from = null;
        var to = new List<string>();
        while (await reader.ReadLineAsync(_stop.Token) is { } line)
        {
            var verb = line.Split(' ', 2)[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                    await writer.WriteLineAsync("250-smtp-stand-in");
                    await writer.WriteLineAsync("250 AUTH PLAIN");
                    break;
                case "HELO":
                    await writer.WriteLineAsync("250 smtp-stand-in");
                    break;
                case "AUTH":
                    // AUTH PLAIN base64("\0user\0password"), the initial response on the same line.
                    var parts = line.Split(' ');
                    var plain = parts.Length > 2 ? Encoding.UTF8.GetString(Convert.FromBase64String(parts[2])).Split('\0') : [];
                    user = plain.Length == 3 ? plain[1] : null;
                    await writer.WriteLineAsync(user is null ? "535 malformed" : "235 authenticated");
                    break;
                case "MAIL":
                    from = Address(line);
                    to.Clear();
                    await writer.WriteLineAsync("250 ok");
                    break;
                case "RCPT":
                    to.Add(Address(line));
                    await writer.WriteLineAsync("250 ok");
                    break;
                case "DATA":
                    await writer.WriteLineAsync("354 end with <CRLF>.<CRLF>");
                    var data = new StringBuilder();
                    while (await reader.ReadLineAsync(_stop.Token) is { } body && body != ".")
                        data.Append(body.StartsWith("..", StringComparison.Ordinal) ? body[1..] : body).Append("\r\n");
                    using (var message = new MemoryStream(Encoding.UTF8.GetBytes(data.ToString())))
                        Received.Enqueue((user, from ?? "", to.ToList(), await MimeMessage.LoadAsync(message)));
                    await writer.WriteLineAsync("250 queued");
                    break;
                case "RSET" or "NOOP":
                    await writer.WriteLineAsync("250 ok");
                    break;
                case "QUIT":
                    await writer.WriteLineAsync("221 bye");
                    return;
                default:
                    await writer.WriteLineAsync("502 not implemented");
                    break;
            }
        }
    }

    private static string Address(string line) =>
        line[(line.IndexOf('<') + 1)..line.IndexOf('>')];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
