using Npgsql;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Training;

/// <summary>One point of a job's training-loss curve: the mean loss of the steps since the previous point.</summary>
internal sealed record LossPoint(long Step, long TotalSteps, double Loss, double LearningRate);

/// <summary>
/// Writes the points of the loss curve, fenced by the run's token like every other report (accepted
/// while the run is the job's latest claim). A point at step s also drops any points after s: those
/// came from a run that died before its next checkpoint, and this run is redoing those steps.
/// </summary>
internal sealed class LossCurveRecorder(NpgsqlDataSource dataSource)
{
    public async Task<bool> RecordAsync(ClaimedJob job, LossPoint point, CancellationToken cancellationToken = default)
    {
        // The DELETE takes steps strictly after the point and the INSERT only the point itself, so the two
        // never touch the same row within the one statement.
        await using var command = dataSource.CreateCommand("""
            WITH owner AS (SELECT job_id FROM job_queue WHERE job_id = $1 AND last_token = $2),
            stale AS (
                DELETE FROM job_loss_points
                WHERE tenant_id = $3 AND job_id = $1 AND step > $4 AND EXISTS (SELECT 1 FROM owner))
            INSERT INTO job_loss_points (tenant_id, job_id, step, total_steps, loss, learning_rate, attempt)
            SELECT $3, $1, $4, $5, $6, $7, $8 FROM owner
            ON CONFLICT (tenant_id, job_id, step) DO UPDATE
                SET total_steps = excluded.total_steps, loss = excluded.loss, learning_rate = excluded.learning_rate,
                    attempt = excluded.attempt, recorded_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = job.JobId });
        command.Parameters.Add(new NpgsqlParameter { Value = job.LeaseToken });
        command.Parameters.Add(new NpgsqlParameter { Value = job.TenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = point.Step });
        command.Parameters.Add(new NpgsqlParameter { Value = point.TotalSteps });
        command.Parameters.Add(new NpgsqlParameter { Value = point.Loss });
        command.Parameters.Add(new NpgsqlParameter { Value = point.LearningRate });
        command.Parameters.Add(new NpgsqlParameter { Value = job.Attempt });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }
}

/// <summary>
/// Averages the per-step losses the trainer reports between two points, so a point stands for every
/// step since the last one rather than for whichever step happened to land on the report.
/// Used from the training thread only.
/// </summary>
internal sealed class LossWindow
{
    private double _sum;
    private int _count;

    /// <summary>Adds a step's loss; a non-finite loss (a diverged step) is kept out of the mean.</summary>
    public void Add(double loss)
    {
        if (!double.IsFinite(loss))
            return;
        _sum += loss;
        _count++;
    }

    /// <summary>The point for the steps added since the last call, or null when none had a finite loss.</summary>
    public LossPoint? Take(long step, long totalSteps, double learningRate)
    {
        if (_count == 0)
            return null;
        var point = new LossPoint(step, totalSteps, _sum / _count, learningRate);
        _sum = 0;
        _count = 0;
        return point;
    }
}
