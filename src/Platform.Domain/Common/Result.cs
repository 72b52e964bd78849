namespace Platform.Domain.Common;

public enum ResultStatus
{
    Success,
    BadRequest,
    Conflict,
    NotFound,
    Forbidden,
}

/// <summary>
/// The outcome of an action that can fail for a reason the user should see; exceptions stay for bugs
/// and infrastructure faults.
/// </summary>
public class Result
{
    protected Result(ResultStatus status, string? error)
    {
        if (status == ResultStatus.Success && error is not null)
        {
            throw new ArgumentException("A successful result carries no error.", nameof(error));
        }
        if (status != ResultStatus.Success && string.IsNullOrWhiteSpace(error))
        {
            throw new ArgumentException("A failed result needs a message for the user.", nameof(error));
        }
        Status = status;
        Error = error;
    }

    public ResultStatus Status { get; }

    public string? Error { get; }

    public bool IsSuccess => Status == ResultStatus.Success;

    public static Result Success() => new(ResultStatus.Success, null);

    public static Result BadRequest(string error) => new(ResultStatus.BadRequest, error);

    public static Result Conflict(string error) => new(ResultStatus.Conflict, error);

    public static Result NotFound(string error) => new(ResultStatus.NotFound, error);

    public static Result Forbidden(string error) => new(ResultStatus.Forbidden, error);

    public static Result<T> Success<T>(T value) => Result<T>.Success(value);

    public override string ToString() => IsSuccess ? "Success" : $"{Status}: {Error}";
}

public sealed class Result<T> : Result
{
    private readonly T? _value;

    private Result(ResultStatus status, string? error, T? value)
        : base(status, error)
    {
        _value = value;
    }

    /// <summary>The value of a successful result; reading it from a failure is a bug.</summary>
    public T Value => IsSuccess
        ? _value!
        : throw new InvalidOperationException($"No value: the result is {Status} ({Error}).");

    public static Result<T> Success(T value) => new(ResultStatus.Success, null, value);

    public static new Result<T> BadRequest(string error) => new(ResultStatus.BadRequest, error, default);

    public static new Result<T> Conflict(string error) => new(ResultStatus.Conflict, error, default);

    public static new Result<T> NotFound(string error) => new(ResultStatus.NotFound, error, default);

    public static new Result<T> Forbidden(string error) => new(ResultStatus.Forbidden, error, default);

    /// <summary>Carries a failure over to a result of another type.</summary>
    public static Result<T> From(Result failure)
    {
        if (failure.IsSuccess)
        {
            throw new ArgumentException("Only a failure can be carried over.", nameof(failure));
        }
        return new(failure.Status, failure.Error, default);
    }
}
