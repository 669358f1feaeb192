"""The generic engine: nodes, replication, routing, clients, faults; nothing AWS-specific.

Its seams, the places other layers plug in:

- :class:`~hadrsim.simulator.world.World` -- the only scheduling API (callbacks,
  cancellable timers, SimPy processes and stores), randomness and the record of a
  run. SimPy's internals are touched only inside it; nothing else imports ``simpy``.
- :class:`~hadrsim.simulator.service.ClientService` -- what clients and the end of
  a run ask of a database service; implemented by the single-writer
  :class:`~hadrsim.simulator.service.Service` and the multi-active services of
  :mod:`~hadrsim.simulator.multileader` and :mod:`~hadrsim.simulator.mrsc`
  (checked by ``python -m mypy hadrsim/simulator``).
- :mod:`~hadrsim.simulator.policies` -- how a node differs per AWS service (read
  guard, write forwarding, cold start), given to
  :class:`~hadrsim.simulator.node.Node` at construction or through
  :meth:`~hadrsim.simulator.node.Node.reconfigure` when a promotion or restore
  changes it.
- :class:`~hadrsim.simulator.faults.Targets` -- how a built design names its parts
  for the fault injector.

Models (:mod:`hadrsim.models`) assemble these parts and wire them through owner
methods (``Service.set_local_writer``, ``Endpoint.retarget``,
``PromotionRunbook.add_candidate``), never by setting attributes afterwards.
"""
