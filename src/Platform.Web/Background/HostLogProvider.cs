using Hangfire.AspNetCore;
using Hangfire.Logging;

namespace Platform.Web.Background;

/// <summary>
/// Hangfire's log provider is process-wide (static), and Hangfire creates loggers lazily. Where one
/// process builds several hosts and disposes some (the test suite's portals), a logger asked for
/// after its host's logger factory was disposed would throw out of a storage call; this provider
/// answers with a silent logger instead. With one host per process (the portal) it only forwards.
/// </summary>
internal sealed class HostLogProvider(ILoggerFactory loggerFactory) : ILogProvider
{
    private readonly AspNetCoreLogProvider _inner = new(loggerFactory);

    public ILog GetLogger(string name)
    {
        try
        {
            return _inner.GetLogger(name);
        }
        catch (ObjectDisposedException)
        {
            return Silent.Instance;
        }
    }

    private sealed class Silent : ILog
    {
        public static readonly Silent Instance = new();

        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
    }
}
