using Platform.Training.Torch;
using Platform.Training.Training;

namespace Platform.Training.Pretraining;

/// <summary>
/// Domain pre-training: masked-language-model training of a BERT on unlabelled text, from scratch or
/// continuing from a base model. The result is a base model folder that <c>Trainer.Train</c>
/// fine-tunes like any other.
/// </summary>
public static class Pretrainer
{
    /// <summary>
    /// Pre-trains and writes the base model folder and pretraining.json to
    /// <see cref="PretrainingRequest.OutputDirectory"/>. Resumes when the checkpoint directory holds a
    /// checkpoint. Cancellation is honoured between steps by throwing
    /// <see cref="OperationCanceledException"/>; the last checkpoint stays for a later resume.
    /// </summary>
    public static PretrainingResult Train(PretrainingRequest request, PretrainingCallbacks? callbacks = null, CancellationToken cancellationToken = default)
    {
        callbacks ??= new PretrainingCallbacks();
        request.Validate();
        Torch.Torch.NumThreads = request.Options.Threads ?? TrainingOptions.ThreadsFor(1);
        var device = Device.Parse(request.Options.Device);

        using var run = PretrainingRun.Prepare(request, device, callbacks.Log);
        return run.Execute(callbacks, cancellationToken);
    }
}
