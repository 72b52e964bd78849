using Platform.Domain.Jobs;
using Platform.Jobs.Portal;

namespace Platform.Web.Api;

/// <summary>Reads a <see cref="JobFilter"/> from a job or model list's query string, each field checked, or the 400 naming the first bad one.</summary>
internal static class JobFilterParser
{
    public static readonly string[] States = Enum.GetNames<JobState>();

    /// <param name="kinds">Whether ?kind= names a job kind (the job list); the model list leaves it alone, as it always did.</param>
    public static bool TryParse(HttpRequest request, out JobFilter filter, out IResult? problem, bool kinds = false)
    {
        filter = new JobFilter(null, null, null, null, null);
        problem = null;
        var q = request.Query;
        string? state = null;
        if (q["state"].ToString() is { Length: > 0 } stateText)
        {
            state = States.FirstOrDefault(s => string.Equals(s, stateText, StringComparison.OrdinalIgnoreCase));
            if (state is null)
            {
                problem = ApiProblem.Invalid("state", $"Unknown state '{stateText}': one of {string.Join(", ", States)}.");
                return false;
            }
        }
        string? kind = null;
        if (kinds && q["kind"].ToString() is { Length: > 0 } kindText)
        {
            kind = JobKinds.All.Select(k => k.Name).FirstOrDefault(k => string.Equals(k, kindText, StringComparison.OrdinalIgnoreCase));
            if (kind is null)
            {
                problem = ApiProblem.Invalid("kind", $"Unknown kind '{kindText}': one of {string.Join(", ", JobKinds.All.Select(k => k.Name))}.");
                return false;
            }
        }
        Guid? dataset = null;
        if (q["datasetId"].ToString() is { Length: > 0 } datasetText)
        {
            if (!Guid.TryParse(datasetText, out var id))
            {
                problem = ApiProblem.Invalid("datasetId", "datasetId is a dataset's id (a UUID).");
                return false;
            }
            dataset = id;
        }
        var baseModel = q["baseModel"].ToString() is { Length: > 0 } model ? model : null;
        if (baseModel is { Length: > 200 })
        {
            problem = ApiProblem.Invalid("baseModel", "baseModel is a base model's name (at most 200 characters).");
            return false;
        }
        if (!TryTime(q["createdAfter"].ToString(), "createdAfter", out var after, ref problem)
            || !TryTime(q["createdBefore"].ToString(), "createdBefore", out var before, ref problem))
        {
            return false;
        }
        filter = new JobFilter(state, dataset, baseModel, after, before, Kind: kind);
        return true;
    }

    private static bool TryTime(string text, string param, out DateTimeOffset? value, ref IResult? problem)
    {
        value = null;
        if (text.Length == 0)
            return true;
        // RFC 3339 with an offset: a time without one would depend on the server's zone.
        if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var parsed)
            && (text.EndsWith('Z') || text.EndsWith('z') || System.Text.RegularExpressions.Regex.IsMatch(text, @"[+-]\d\d:\d\d$")))
        {
            value = parsed.ToUniversalTime();
            return true;
        }
        problem = ApiProblem.Invalid(param, $"{param} is an RFC 3339 time with its offset, e.g. 2026-12-01T09:30:00Z.");
        return false;
    }
}
