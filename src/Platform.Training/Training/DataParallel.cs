using System.Diagnostics;
using Platform.Training.Distributed;
using Platform.Training.Torch;
using Platform.Training.Torch.Nn;
using Platform.Training.Torch.Optim;

namespace Platform.Training.Training;

/// <summary>
/// One rank's part in a data-parallel run (decision 0043): its share of every global batch, the
/// gradient all-reduce after backward, and the broadcasts that keep the replicas identical. Every
/// rank walks the same global batches (the single-process order: seed and epoch fix the shuffle), so
/// every rank takes the same number of steps and the run is the single-process run, split.
/// </summary>
internal sealed class DataParallel
{
    private readonly ProcessGroup _group;
    private readonly Module _module;
    private readonly List<Tensor> _parameters;
    // Time in the steps' collectives (waits for a slower rank included) and in whole steps: the communication share.
    private readonly Stopwatch _communication = new();
    private readonly Stopwatch _steps = new();

    public DataParallel(ProcessGroup group, Module module)
    {
        _group = group;
        _module = module;
        _parameters = module.Parameters().ToList();
    }

    public int Rank => _group.Rank;

    public int WorldSize => _group.WorldSize;

    /// <summary>Runs one training step, timed: its share of collectives is the communication share.</summary>
    public double TimeStep(Func<double> step)
    {
        _steps.Start();
        try
        {
            return step();
        }
        finally
        {
            _steps.Stop();
        }
    }

    /// <summary>One line for the log: time in collectives against time in training steps.</summary>
    public string CommunicationSummary()
    {
        var steps = _steps.Elapsed.TotalSeconds;
        var share = steps > 0 ? _communication.Elapsed.TotalSeconds / steps : 0;
        return $"data-parallel: rank {Rank} spent {_communication.Elapsed.TotalSeconds:0.###} s in collectives " +
            $"(waits for slower ranks included) over {steps:0.###} s of training steps: {share:P1} communication";
    }

    /// <summary>
    /// This rank's positions of a global batch: every WorldSize-th, from its rank on (a distributed
    /// sampler over the epoch's seeded order). A rank whose share of a short last batch is empty
    /// still joins the step's collectives, with zero gradients.
    /// </summary>
    public static int[] Share(int[] globalBatch, int rank, int worldSize)
    {
        var share = new int[Math.Max(0, (globalBatch.Length - rank + worldSize - 1) / worldSize)];
        for (var i = 0; i < share.Length; i++)
        {
            share[i] = globalBatch[rank + i * worldSize];
        }

        return share;
    }

    public int[] Share(int[] globalBatch) => Share(globalBatch, Rank, WorldSize);

    /// <summary>
    /// Sums the gradients over the ranks (each rank's loss was already weighted by its share of the
    /// global batch, so the sum is the global batch's mean gradient) and returns the summed loss.
    /// </summary>
    public double ReduceStep(double localLossSum)
    {
        _communication.Start();
        try
        {
            _group.AllReduceGradients(_parameters);
            using var loss = Tensor.FromSpan([localLossSum], [1]);
            _group.AllReduceSum([loss]);
            return loss.Item();
        }
        finally
        {
            _communication.Stop();
        }
    }

    /// <summary>Rank 0's weights and buffers (normalisation statistics) on every rank.</summary>
    public void BroadcastModel() => _group.Broadcast([.. _parameters, .. _module.NamedBuffers().Select(b => b.Value)]);

    /// <summary>
    /// Where rank 0 starts (fresh, or resumed from the checkpoint only rank 0 reads): its position,
    /// weights and optimiser moments on every rank. The other ranks need no checkpoint folder.
    /// </summary>
    public void BroadcastStart(TrainerState state, AdamW optimizer)
    {
        using (var header = Tensor.FromSpan([state.Step, state.Epoch, state.Batch, state.StoppedEarly ? 1 : 0, optimizer.StepCount], [5]))
        {
            _group.Broadcast([header]);
            var values = header.ToInt64Array();
            (state.Step, state.Epoch, state.Batch, state.StoppedEarly) = (values[0], (int)values[1], (int)values[2], values[3] != 0);
            optimizer.StepCount = values[4];
        }

        BroadcastModel();
        if (optimizer.StepCount > 0)
        {
            _group.Broadcast(optimizer.AllMoments());
        }
    }

    /// <summary>Rank 0 decides early stopping (it alone validates); every rank follows its decision.</summary>
    public bool AgreeOnStop(bool stop)
    {
        using var flag = Tensor.FromSpan([stop ? 1L : 0L], [1]);
        _group.Broadcast([flag]);
        return flag.ToInt64Array()[0] != 0;
    }
}
