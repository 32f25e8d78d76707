"""The Mesa model of an eco-industrial park (docs/model.md, the ODD protocol of this model).

``SymbiosisModel.step`` is the monthly schedule of docs/model.md section 3, one verb per
stage. The decisions are the agents': the firms' in ``agents.company.Companies`` (a population
over arrays), the operator's in ``agents.park_operator`` and the authority's in
``agents.authority``. Matching and costing of candidate exchanges is the array kernel in
``simulation.market``.

One clock: Mesa's step counter ``steps`` (months simulated, counting the one running). Month
stamps in the book of exchanges and in the firms' state are 0-based (``current_month``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mesa
import numpy as np

from agents import Authority, Channel, Companies, ParkOperator
from scenarios.parameters import (
    CONTRACTS,
    DISCLOSURE_INCENTIVE,
    INVESTMENT_GRANT,
    LANDFILL_TAX,
    MONTHS_PER_YEAR,
    PLATFORM,
    SUBSIDY,
    VIRGIN_TAX,
    ModelParameters,
    validate,
)
from scenarios.parks import build_park
from scenarios.resources import catalogues_for
from simulation import accounting, development, market
from simulation.exchanges import ExchangeBook
from simulation.indicators import IndicatorCollector, Indicators
from simulation.social import social_ties

_EPS = 1e-9  # numerical tolerance: quantities below it count as nothing left


class SymbiosisModel(mesa.Model):
    """Companies, a park operator and an authority exchanging by-products, energy and water.

    Every parameter of ``scenarios.parameters`` is a keyword argument with its declared default,
    e.g. ``SymbiosisModel(seed=1, landfill_tax_eur_per_t=80.0)``.

    Attributes:
        params: The complete, validated parameters of the run (a dict, as scenario files).
        settings: The same parameters as typed attributes (``settings.trust_threshold``).
        steps: Months simulated so far (Mesa's step counter; the model's only clock).
        companies: The firms (``agents.company.Companies``).
        operator: The park operator (``agents.park_operator.ParkOperator``).
        authority: The public authority (``agents.authority.Authority``).
        book: Every exchange started so far (``ExchangeBook``).
        indicators: Indicator accounting; one row per step in ``datacollector``.
    """

    def __init__(self, *, seed: int = 0, **params: Any) -> None:
        """Build the park, the social network and the agents from ``params``.

        Raises:
            scenarios.parameters.ParameterError: On an unknown parameter or a disallowed value.
        """
        super().__init__(rng=int(seed))
        self.params = validate(params)
        self.settings = s = ModelParameters.of(self.params)
        self.seed = int(seed)
        # The firms' world (production, stops, exits and entries) draws from a stream of its
        # own, so that paired runs of two scenarios share it (common random numbers): a policy
        # changes the deals, not which plant happens to close (docs/model.md, section 3).
        self.world_rng = np.random.default_rng(np.random.SeedSequence([self.seed, 1]))
        # The catalogues, with any catalogue number the parameters set (streams.<name>.<field>).
        self.streams, self.sectors = catalogues_for(self.params)

        park = build_park(self.params, self.rng)
        self.park_name = park.name
        self.companies = Companies.from_park(park, self.sectors, s, self.rng)
        self.firm_names = list(park.firm_names)
        self._next_firm_id = len(park)
        self.slot_history: dict[int, list[tuple[int, int]]] = {}
        self.exited_benefit: dict[int, float] = {}
        # The social network; a tie counts (tie_from, tie_to) once its firms know each other.
        self.social_from, self.social_to = social_ties(
            s.social_network,
            park.x_km,
            park.y_km,
            s.social_mean_degree,
            s.social_rewiring,
            self.rng,
        )
        social_keys, tie_pair = np.unique(
            self.companies.pair_key(self.social_from, self.social_to), return_inverse=True
        )
        self.acquainted_from = development.acquaintance_months(
            len(social_keys), s.acquaintance_months, self.rng
        )[tie_pair]
        # A dated park (6.3): a firm takes part from the month it enters, and generates or needs
        # a dated stream from that stream's month; managers meet only once both firms are there.
        self.enters_month = park.enters_month
        self.stream_from_month = park.stream_from_month
        self.planned_supply, self.planned_need = (
            self.companies.base_supply,
            self.companies.base_need,
        )
        if self.enters_month is not None and self.stream_from_month is not None:
            self.acquainted_from = self.acquainted_from + np.maximum(
                self.enters_month[self.social_from], self.enters_month[self.social_to]
            )
            self.planned_supply = self.companies.base_supply.copy()
            self.planned_need = self.companies.base_need.copy()
            later = self.stream_from_month > 0
            self.companies.base_supply[later] = 0.0
            self.companies.base_need[later] = 0.0
        self.acquaint(0)

        self.authority = Authority(self, self.params)
        self.operator = ParkOperator(self, s)
        self.book = ExchangeBook()
        self._kept_values: dict[str, tuple[int, Any]] = {}
        self.committed_supply = np.zeros_like(self.companies.base_supply)
        self.committed_need = np.zeros_like(self.companies.base_need)
        # Extra cost per unit of the worst share of each stream (material quality varies).
        self.diversion_cost_eur = s.diversion_cost_eur_per_t * self.streams.is_material
        self.annuity = market.annuity_factor(s.discount_rate, s.planning_horizon_years)
        # Each firm values a deal over the planning horizon at its own hurdle rate (fixed per site).
        self.companies.valuation_annuity = market.annuity_factor(
            self.companies.hurdle_rate, s.planning_horizon_years
        )
        self.supply = np.zeros_like(self.companies.base_supply)  # set by produce each month
        self.need = np.zeros_like(self.companies.base_need)
        self.flow = np.zeros(0)  # this month's deliveries of the exchanges in flow_rows
        self.flow_rows = np.zeros(0, dtype=np.int64)
        self._month_prices: market.Prices | None = None  # set by apply_policy each month
        self._price_levels: tuple[Any, ...] | None = None  # the levels month_prices are for
        self.indicators = Indicators(self)
        self.datacollector = IndicatorCollector()
        # Path dependence (docs/model.md, section 7.12): infrastructure by site and kind, and
        # each firm's experience (exchanges of each stream it has taken part in).
        self.infrastructure = development.Infrastructure(
            self.companies.x_km,
            self.companies.y_km,
            development.network_kinds(
                self.streams.names, self.streams.categories, self.streams.needs_pipe
            ),
            s.reuse_radius_km,
        )
        self.experience = np.zeros_like(self.companies.base_supply)
        # Links that have flowed: (supplier firm id, receiver firm id, stream), the unit of a
        # park's documented history (the ``new_links`` output).
        self.links_flowed: set[tuple[int, int, int]] = set()
        # Every breach of a promise: (month, offender slot, victim slot, stream, "hold_up" or
        # "renege").
        self.breaches: list[tuple[int, int, int, int, str]] = []

    @property
    def current_month(self) -> int:
        """0-based index of the month being simulated (``steps`` less one, during a step)."""
        return self.steps - 1

    @property
    def month_prices(self) -> market.Prices:
        """This month's per-stream economics under the instruments in force (set in stage 1)."""
        if self._month_prices is None:
            raise RuntimeError("no prices before the first month's policy is applied")
        return self._month_prices

    # --- the monthly schedule (docs/model.md, section 3) ----------------------------------------

    def step(self) -> None:
        """Simulate one month."""
        self.apply_policy()
        self.produce()
        self.share_information()
        self.search_and_negotiate()
        self.develop_projects()
        self.flow_and_account()
        self.reevaluate_exchanges()
        self.indicators.close_month()
        self.datacollector.collect(self)
        self.authority.adapt(self.current_month, self.indicators.row["recovery_rate"])

    def apply_policy(self) -> None:
        """Stage 1: the authority sets the instruments in force; the operator is funded."""
        self.authority.apply_instruments(self.current_month)
        self.indicators.open_month()
        self.operator.receive_funding(self.authority, accounting.fees_due(self))
        self.operator.build_infrastructure(self.authority)
        before = self._month_prices
        self.update_prices()
        if before is not None and self._month_prices is not before:
            self.revise_quantities()

    def update_prices(self) -> None:
        """Recompute ``month_prices`` when an input they depend on has changed.

        The key is every price instrument's level (from the declaration, so none can be
        forgotten) and whether the shared infrastructure exists.
        """
        levels = (*self.authority.price_levels(), self.operator.infrastructure_built)
        if levels != self._price_levels:
            self._price_levels = levels
            self._month_prices = self.prices()

    def prices(self) -> market.Prices:
        """This month's per-stream economics under the instruments in force.

        Each instrument that declares a ``price_input`` feeds that keyword of the kernel
        ``market.stream_prices``; each that declares an ``effect`` then changes the result.
        """
        s, auth = self.streams, self.authority
        inputs = {i.price_input: auth.level(i) for i in auth.instruments if i.price_input}
        prices = market.stream_prices(
            s.gate_fee_eur_per_unit,
            s.virgin_price_eur_per_unit,
            s.substitution_ratio,
            s.pretreatment_eur_per_unit,
            s.transport_eur_per_unit_km,
            s.investment_eur,
            s.is_landfilled,
            s.is_material,
            s.needs_pipe,
            transaction_cost=0.0,
            infrastructure_reduction=self.operator.infrastructure_reduction(auth),
            **inputs,
        )
        for instrument, level in auth.price_effects():
            assert instrument.effect is not None
            prices = instrument.effect(prices, level, s)
        return prices

    def produce(self) -> None:
        """Stage 2: production with fluctuations, stops, and firms leaving and entering."""
        s = self.settings
        self.arrive(self.current_month)
        self.exit_and_enter()
        self.supply, self.need = self.companies.produce(
            self.current_month,
            self.world_rng,
            uncertainty=s.supply_uncertainty,
            turbulence=s.supply_turbulence,
            stop_probability=s.disruption_rate_per_year / MONTHS_PER_YEAR,
            stop_months=s.disruption_months,
        )

    def arrive(self, month: int) -> None:
        """Dated firms and streams (6.3) whose month has come take part from now on."""
        if self.stream_from_month is None:
            return
        arriving = self.stream_from_month == month
        if month > 0 and arriving.any():
            self.companies.base_supply[arriving] = self.planned_supply[arriving]
            self.companies.base_need[arriving] = self.planned_need[arriving]

    def present(self) -> np.ndarray:
        """Whether each firm is in the park this month (all of them, in an undated park)."""
        if self.enters_month is None:
            return np.ones(len(self.companies), dtype=bool)
        return self.enters_month <= self.current_month

    def exit_and_enter(self) -> None:
        """A leaving firm ends its exchanges; a new firm of its sector takes over the site."""
        companies, month = self.companies, self.current_month
        rate = self.settings.exit_rate_per_year / MONTHS_PER_YEAR
        leaving = np.flatnonzero((self.world_rng.random(len(companies)) < rate) & self.present())
        if len(leaving) == 0:
            return
        active = self.book.active()
        gone = market.isin_sorted(self.book.supplier[active], leaving) | market.isin_sorted(
            self.book.receiver[active], leaving
        )
        self.end_exchanges(active[gone], "partner_exit")
        for slot in leaving.tolist():
            old_id = int(companies.firm_id[slot])
            self.slot_history.setdefault(slot, []).append((month, old_id))
            self.exited_benefit[old_id] = float(companies.net_benefit_eur[slot])
            companies.firm_id[slot] = self._next_firm_id
            self.experience[slot] = 0.0  # experience is the firm's, not the site's
            name = f"{self.sectors.names[companies.sector[slot]]} {self._next_firm_id + 1}"
            self._next_firm_id += 1
            self.firm_names.append(name)
        companies.replace(leaving, self.settings, self.world_rng)

    def share_information(self) -> None:
        """Stage 3: acquaintance, workshops, platform membership and knowledge diffusion."""
        self.acquaint(self.current_month)
        self.operator.hold_workshop(self.current_month, self.companies, self.authority, self.rng)
        self.run_platform()
        self.companies.learn_from_neighbours(
            self.tie_from,
            self.tie_to,
            self._kept(self._exchanging),
            self.settings.knowledge_diffusion_rate,
        )

    def acquaint(self, month: int) -> None:
        """Socially tied firms that have come to know each other by ``month`` count as ties.

        In a new park managers meet over the years (``acquaintance_months``); only a tie whose
        firms know each other makes a known candidate and gives the tie's trust (7.12).
        """
        known = self.acquainted_from <= month
        count = int(known.sum())
        if count == getattr(self, "_acquainted", -1):
            return
        self._acquainted = count
        self.tie_from, self.tie_to = self.social_from[known], self.social_to[known]
        self._tie_keys = np.unique(self.companies.pair_key(self.tie_from, self.tie_to))
        self._tie_channel = np.full(count, Channel.SOCIAL_TIE, dtype=np.int64)

    def _exchanging(self) -> np.ndarray:
        """1.0 for each firm in an exchange in operation, else 0.0."""
        active = self.book.operating()
        exchanging = np.zeros(len(self.companies))
        exchanging[self.book.supplier[active]] = 1.0
        exchanging[self.book.receiver[active]] = 1.0
        return exchanging

    def run_platform(self) -> None:
        """The operator runs the platform it can afford; firms reconsider their membership.

        Each reviewing firm weighs the share of its compatible firms already on the platform
        (docs/model.md, section 7.4); the operator keeps its seeded firms enrolled and pays the
        fee subsidies its budget allows.
        """
        s, companies, auth = self.settings, self.companies, self.authority
        offered = self.operator.operate_platform(auth)
        deciding = self.rng.random(len(companies)) < 1.0 / s.membership_review_months
        if offered == 0:
            companies.platform_tier[:] = 0  # no platform runs this month: nobody is a member
            self.operator.fee_subsidy_eur = np.zeros(len(companies))
            return
        enrolled = self.operator.enrolled(companies, self.current_month, self.rng)
        subsidy = self.operator.offer_fee_subsidy(companies, enrolled)
        potential = companies.unmatched_value_eur(
            self.supply,
            self.committed_supply,
            self.committed_need,
            np.maximum(self.month_prices.unit_gain_eur, 0.0),
        )
        companies.choose_platform_tier(
            deciding,
            tier_offered=offered,
            member_share=companies.compatible_member_share(
                deciding, companies.platform_tier > 0, s.distance_decay_km
            ),
            critical_mass_share=s.platform_critical_mass_share,
            standalone_share=s.platform_standalone_value_share,
            expected_gain_eur=s.platform_expected_gain_share * potential,
            fee_eur=s.platform_fee_eur_per_month - subsidy,
            incentive_eur=auth.level(DISCLOSURE_INCENTIVE),
            confidentiality_risk_eur=s.confidentiality_risk_eur_per_month,
            tier1_risk_share=s.tier1_confidentiality_share,
            cost_data_gain_factor=s.cost_data_gain_factor,
            mandatory=s.mandatory_reporting and auth.in_force(DISCLOSURE_INCENTIVE),
            enrolled=enrolled,
        )
        if self.enters_month is not None:
            companies.platform_tier[~self.present()] = 0  # a firm not yet there is no member
        self.operator.pay_fee_subsidies(subsidy, companies.platform_tier > 0)

    def search_and_negotiate(self) -> None:
        """Stages 4-5: firms consider the candidates they know; deals both sides accept start."""
        s, companies, n_streams = self.settings, self.companies, len(self.streams)
        remaining_supply = companies.base_supply - self.committed_supply
        remaining_need = companies.base_need - self.committed_need
        running = companies.production_level > 0
        can_supply = (remaining_supply > _EPS) & running[:, None]
        can_receive = (remaining_need > _EPS) & running[:, None]
        aware = companies.aware(s.knowledge_threshold)
        searching = companies.search(
            aware,
            (can_supply.any(1) | can_receive.any(1))
            & (self.load() < s.max_projects_in_development),
            s.search_probability,
            self.rng,
        )
        if not searching.any():
            return
        supplier, receiver, channel = self.known_pairs(searching, aware, can_supply, can_receive)
        if len(supplier) == 0:
            return
        distance = np.hypot(
            companies.x_km[supplier] - companies.x_km[receiver],
            companies.y_km[supplier] - companies.y_km[receiver],
        )
        considered = companies.consider(distance, s.distance_decay_km, self.rng)
        supplier, receiver, channel, distance = (
            supplier[considered],
            receiver[considered],
            channel[considered],
            distance[considered],
        )
        pair, stream = market.expand_streams(supplier, receiver, can_supply, can_receive)
        if len(pair) == 0:
            return
        supplier, receiver, channel, distance = (
            supplier[pair],
            receiver[pair],
            channel[pair],
            distance[pair],
        )
        # One candidate per (supplier, receiver, stream): the most helpful channel comes first.
        key = (supplier * len(companies) + receiver) * n_streams + stream
        order = np.lexsort((channel, key))
        pick = order[market.first_of_runs(key[order])]
        pick = pick[~market.isin_sorted(key[pick], self._kept(self._sorted_active_keys))]
        supplier, receiver, stream, channel, distance = (
            supplier[pick],
            receiver[pick],
            stream[pick],
            channel[pick],
            distance[pick],
        )
        prices = self.month_prices
        quantity = market.recoverable_quantity(
            prices.unit_gain_eur[stream] - prices.transport_eur_per_unit_km[stream] * distance,
            companies.base_supply[supplier, stream],
            self.committed_supply[supplier, stream],
            remaining_need[receiver, stream],
            self.diversion_cost_eur[stream],
        )
        self.negotiate(supplier, receiver, stream, channel, distance, quantity)

    def known_pairs(
        self,
        searching: np.ndarray,
        aware: np.ndarray,
        can_supply: np.ndarray,
        can_receive: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Directed (supplier, receiver) pairs a searching firm knows of, with the ``Channel``.

        The operator's introductions, the platform's suggestions and the social ties; the firms
        take up those they recognise (``Companies.recognise``).
        """
        operator = self.operator
        a, b = operator.platform_suggestions(
            self.companies, can_supply, can_receive, self.rng, market.nearest
        )
        if len(operator.introduced_from) == 0 and len(a) == 0:
            supplier, receiver, channel = self.tie_from, self.tie_to, self._tie_channel
        else:
            supplier = np.concatenate([operator.introduced_from, a, self.tie_from])
            receiver = np.concatenate([operator.introduced_to, b, self.tie_to])
            channel = np.concatenate(
                [
                    np.full(len(operator.introduced_from), Channel.INTRODUCTION, dtype=np.int64),
                    np.full(len(a), Channel.PLATFORM, dtype=np.int64),
                    self._tie_channel,
                ]
            )
        keep = Companies.recognise(supplier, receiver, channel, aware, searching)
        return supplier[keep], receiver[keep], channel[keep]

    def _kept(self, compute: Callable[[], Any]) -> Any:
        """``compute()``, computed again only once exchanges have started or ended since."""
        kept = self._kept_values.get(compute.__name__)
        if kept is None or kept[0] != self.book.version:
            kept = (self.book.version, compute())
            self._kept_values[compute.__name__] = kept
        return kept[1]

    def _sorted_active_keys(self) -> np.ndarray:
        """Sorted (supplier, receiver, stream) keys of the active exchanges."""
        active, book = self.book.active(), self.book
        n, n_streams = len(self.companies), len(self.streams)
        return np.sort(
            (book.supplier[active] * n + book.receiver[active]) * n_streams + book.stream[active]
        )

    def _flow_groups(self) -> tuple[market.GroupOrder, market.GroupOrder]:
        """How the exchanges in operation group by supplier and stream, and receiver and stream."""
        active, book = self.book.operating(), self.book
        return market.flow_groups(
            book.supplier[active], book.receiver[active], book.stream[active], len(self.streams)
        )

    def negotiate(
        self,
        supplier: np.ndarray,
        receiver: np.ndarray,
        stream: np.ndarray,
        channel: np.ndarray,
        distance: np.ndarray,
        quantity: np.ndarray,
    ) -> None:
        """Stage 5: price candidates, check both sides accept, start the best deals."""
        s, companies, auth, operator = self.settings, self.companies, self.authority, self.operator
        month = self.current_month
        prices = self.month_prices
        contracts = auth.level(CONTRACTS)
        transaction = operator.transaction_costs_eur(
            operator.brokered(companies, supplier, receiver), channel, contracts
        )
        annuity = companies.deal_annuity(supplier, receiver)
        _, npv = market.deal_values(
            quantity,
            distance,
            stream,
            prices,
            overhead_eur_per_month=s.exchange_overhead_eur_per_month,
            annuity=annuity,
        )
        saving, transaction = self.path_savings(supplier, receiver, stream, prices, transaction)
        diversion = market.diversion_cost_per_unit(
            quantity,
            companies.base_supply[supplier, stream],
            self.committed_supply[supplier, stream],
            self.diversion_cost_eur[stream],
        )
        npv = npv - transaction + saving - quantity * diversion * annuity
        viable = npv > 0
        if not viable.any():
            return
        (
            supplier,
            receiver,
            stream,
            distance,
            quantity,
            npv,
            annuity,
            transaction,
            saving,
            diversion,
        ) = (
            x[viable]
            for x in (
                supplier,
                receiver,
                stream,
                distance,
                quantity,
                npv,
                annuity,
                transaction,
                saving,
                diversion,
            )
        )
        keys = companies.pair_key(supplier, receiver)
        delta = np.zeros(len(keys))
        if companies.relations:
            decay = s.trust_decay_per_month
            delta[:] = [companies.relation(k, month, decay)[0] for k in keys.tolist()]
        tie = market.isin_sorted(keys, self._tie_keys)
        bonus = delta + s.tie_trust_bonus * tie
        reputation = self.reputations(supplier, receiver)
        # Trust a deal needs: less under a standard contract and with shared cost data.
        trust_to_sign = s.trust_threshold - (s.contract_trust_relief if contracts else 0.0)
        cost_data = operator.cost_data_shared(companies, supplier, receiver, auth.level(PLATFORM))
        gross = quantity * prices.unit_gain_eur[stream] * annuity
        doubt = self.rng.random((2, len(npv)))  # each side's, supplier first
        trust_needed = trust_to_sign - s.cost_data_trust_relief * cost_data
        supplier_outside, receiver_outside = self.outside_options(stream)
        if s.bargaining == "nash":
            # Each side misjudges the partner's outside option unless it sees its cost data.
            noise = s.outside_option_noise * ~cost_data * quantity * annuity
            accepts, share = companies.bargain(
                supplier,
                receiver,
                npv,
                bonus,
                trust_needed,
                noise * (2 * doubt[0] - 1) * receiver_outside,
                noise * (2 * doubt[1] - 1) * supplier_outside,
                s.supplier_bargaining_power,
                reputation,
            )
        else:
            accepts = companies.both_accept(
                supplier,
                receiver,
                npv,
                gross,
                bonus,
                trust_needed,
                cost_data,
                doubt,
                s.cost_uncertainty_share,
                reputation,
            )
            share = np.full(len(npv), 0.5)
        self.indicators.record_negotiations(len(npv), int((~accepts).sum()))
        if not accepts.any():
            return
        chosen = np.flatnonzero(accepts)
        chosen = chosen[
            market.match_one_round(
                supplier[chosen], receiver[chosen], stream[chosen], npv[chosen], len(self.streams)
            )
        ]
        chosen = chosen[
            companies.within_attention(
                supplier[chosen],
                receiver[chosen],
                npv[chosen],
                self.load(),
                s.max_projects_in_development,
            )
        ]
        margin = prices.unit_gain_eur[stream] - prices.transport_eur_per_unit_km[stream] * distance
        price = market.transfer_price(
            share,
            margin - diversion,
            supplier_outside + auth.level(SUBSIDY),
            self.streams.pretreatment_eur_per_unit[stream] + diversion,
        )
        self.start_exchanges(
            supplier[chosen],
            receiver[chosen],
            stream[chosen],
            distance[chosen],
            quantity[chosen],
            bonus[chosen],
            keys[chosen],
            transaction[chosen],
            prices,
            one_off_saving_eur=saving[chosen],
            terms={
                "supplier_share": share[chosen],
                "diversion_eur_per_unit": diversion[chosen],
                "price_eur_per_unit": price[chosen],
            },
        )

    def outside_options(self, stream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each side's cost per unit without the deal (docs/model.md, section 7.8).

        The supplier's: disposal (gate fee, plus the landfill tax where the stream is
        landfilled); the receiver's: the virgin input it would buy instead (substitution ratio
        times the virgin price plus the virgin tax on materials).
        """
        streams, auth = self.streams, self.authority
        supplier = (
            streams.gate_fee_eur_per_unit[stream]
            + auth.level(LANDFILL_TAX) * streams.is_landfilled[stream]
        )
        receiver = streams.substitution_ratio[stream] * (
            streams.virgin_price_eur_per_unit[stream]
            + auth.level(VIRGIN_TAX) * streams.is_material[stream]
        )
        return supplier, receiver

    def reputations(self, supplier: np.ndarray, receiver: np.ndarray) -> np.ndarray | None:
        """How much less each side trusts the other for breaches it knows of (2 x deals)."""
        companies = self.companies
        if not companies.heard_breaches and not companies.platform_record.any():
            return None
        month, recovery = self.current_month, self.settings.reputation_recovery_per_month
        return np.stack(
            [
                companies.reputation_discount(supplier, receiver, month, recovery),
                companies.reputation_discount(receiver, supplier, month, recovery),
            ]
        )

    def start_exchanges(
        self,
        supplier: np.ndarray,
        receiver: np.ndarray,
        stream: np.ndarray,
        distance: np.ndarray,
        quantity: np.ndarray,
        trust_delta: np.ndarray,
        keys: np.ndarray,
        transaction_eur: np.ndarray,
        prices: market.Prices,
        one_off_saving_eur: np.ndarray | None = None,
        terms: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Record new exchanges, commit capacity, and book one-off costs and grants.

        Each exchange is in development for its lead time (7.12) before it flows; its capacity
        is committed and its one-off costs are paid from agreement. ``terms`` are the bargained
        columns of the book (``supplier_share``, the diversion cost and the transfer price);
        without them the deal is split half each.
        """
        auth, operator, month = self.authority, self.operator, self.current_month
        if len(supplier) == 0:
            return
        s = self.settings
        lead = (
            development.lead_months(
                self.streams.needs_pipe[stream],
                feasibility_months=s.feasibility_months,
                permitting_months=s.permitting_months,
                investment_months=s.investment_months,
                pipe_investment_months=s.pipe_investment_months,
                spread=s.lead_time_spread,
                rng=self.rng,
            )
            if s.development_lead_times
            else np.zeros(len(supplier), dtype=np.int64)
        )
        saving = np.zeros(len(supplier)) if one_off_saving_eur is None else one_off_saving_eur
        contract_until = operator.contract_end(month, auth)
        self.book.add(
            supplier=supplier,
            receiver=receiver,
            stream=stream,
            distance_km=distance,
            quantity_per_month=quantity,
            start_step=np.full(len(supplier), month),
            trust_delta=trust_delta,
            bad_months=np.zeros(len(supplier), dtype=np.int64),
            idle_months=np.zeros(len(supplier), dtype=np.int64),
            contract_until=np.full(len(supplier), contract_until),
            value_eur_per_month=np.zeros(len(supplier)),
            delivered_total=np.zeros(len(supplier)),
            ready_step=month + lead,
            first_flow_step=np.full(len(supplier), -1),
            **(terms or {"supplier_share": np.full(len(supplier), 0.5)}),
        )
        np.add.at(self.committed_supply, (supplier, stream), quantity)
        np.add.at(self.committed_need, (receiver, stream), quantity)
        investment = self.streams.investment_eur[stream]
        infra = operator.infrastructure_reduction(auth)
        pipe = np.where(self.streams.needs_pipe[stream], 1 - infra, 1.0)
        reused = 1.0 - s.infrastructure_reuse_share * (saving > 0)
        grant = investment * pipe * reused * auth.level(INVESTMENT_GRANT)
        if grant.sum():
            auth.pay(grant.sum(), "investment grants")
        # The one-off costs are shared as the surplus is (section 7.8).
        one_off = prices.one_off_eur[stream] - saving + transaction_eur
        supplier_part = one_off * self.book.supplier_share[-len(supplier) :]
        np.add.at(self.companies.net_benefit_eur, supplier, -supplier_part)
        np.add.at(self.companies.net_benefit_eur, receiver, supplier_part - one_off)
        self.indicators.record_new(len(supplier), one_off.sum())
        operator.deals_signed(keys)

    def load(self) -> np.ndarray:
        """Exchanges each firm has in development (its projects, 7.12)."""
        developing, book = self.book.developing(), self.book
        return self.companies.projects_in_development(
            book.supplier[developing], book.receiver[developing]
        )

    def path_savings(
        self,
        supplier: np.ndarray,
        receiver: np.ndarray,
        stream: np.ndarray,
        prices: market.Prices,
        transaction_eur: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Investment saved by reusing infrastructure; transaction cost after experience (7.12).

        Returns:
            (investment saved in EUR, transaction cost in EUR) of each candidate.
        """
        s = self.settings
        if not s.path_dependence:
            return np.zeros(len(supplier)), transaction_eur
        reusable = self.infrastructure.reusable(supplier, receiver, stream)
        saving = prices.one_off_eur[stream] * s.infrastructure_reuse_share * reusable
        rate = s.experience_learning_rate
        learned = (
            development.learning_factor(self.experience[supplier, stream], rate)
            + development.learning_factor(self.experience[receiver, stream], rate)
        ) / 2  # each firm pays half the transaction cost (start_exchanges)
        return saving, transaction_eur * learned

    def develop_projects(self) -> None:
        """Stage 5b: projects in development may be abandoned, or go into operation (7.12).

        A project whose lead time is over flows from this month on; one still in development is
        abandoned with a constant monthly chance.
        """
        book, month, s = self.book, self.current_month, self.settings
        developing = book.developing()
        if len(developing) == 0:
            return
        still = book.ready_step[developing] > month
        abandon = still & (
            self.rng.random(len(developing)) < s.development_abandon_rate_per_year / MONTHS_PER_YEAR
        )
        self.end_exchanges(developing[abandon], "abandoned")
        ready = developing[~still]
        if len(ready) == 0:
            return
        book.begin_flows(ready, month)
        # A contract binds the delivery: its term runs from the first flow, not from agreement.
        contract_until = book.columns["contract_until"]
        signed = ready[contract_until[ready] >= 0]
        contract_until[signed] += month - book.start_step[signed]
        supplier, receiver, stream = book.supplier[ready], book.receiver[ready], book.stream[ready]
        self.infrastructure.build(supplier, receiver, stream)
        np.add.at(self.experience, (supplier, stream), 1.0)
        np.add.at(self.experience, (receiver, stream), 1.0)
        ids = self.companies.firm_id
        links = set(
            zip(ids[supplier].tolist(), ids[receiver].tolist(), stream.tolist(), strict=True)
        )
        self.indicators.record_new_links(len(links - self.links_flowed))
        self.links_flowed |= links

    def revise_quantities(self) -> None:
        """Prices changed: every exchange re-decides how much of its stream pays to divert.

        docs/model.md, section 7.7. Oldest exchange first, each takes the share of its
        supplier's stream its margin now covers, after the supplier's older exchanges and
        within its receiver's need; one left with nothing worth diverting ends (unprofitable).
        Energy and water (no diversion cost) keep their quantities.
        """
        book, companies, prices = self.book, self.companies, self.month_prices
        active = book.active()
        material = self.diversion_cost_eur[book.stream[active]] > 0
        if not material.any():
            return
        rows = active[material]
        supplier, receiver, stream = book.supplier[rows], book.receiver[rows], book.stream[rows]
        margin = (
            prices.unit_gain_eur[stream]
            - prices.transport_eur_per_unit_km[stream] * book.distance_km[rows]
        )
        cost = self.diversion_cost_eur[stream]
        base = companies.base_supply[supplier, stream]
        old = book.quantity_per_month[rows].copy()
        share = market.recoverable_share(margin, cost)
        # Supply of each (supplier, stream) taken by its older material exchanges, as revised.
        used: dict[tuple[int, int], float] = {}
        new, taken_before = np.empty(len(rows)), np.empty(len(rows))
        need, committed_need = companies.base_need, self.committed_need
        for k, (i, j, st) in enumerate(
            zip(supplier.tolist(), receiver.tolist(), stream.tolist(), strict=True)
        ):
            taken = taken_before[k] = used.get((i, st), 0.0)
            headroom = need[j, st] - committed_need[j, st] + old[k]
            new[k] = min(max(share[k] * base[k] - taken, 0.0), headroom)
            committed_need[j, st] += new[k] - old[k]
            used[(i, st)] = taken + new[k]
        diversion = market.diversion_cost_per_unit(new, base, taken_before, cost)
        np.add.at(self.committed_supply, (supplier, stream), new - old)
        book.columns["quantity_per_month"][rows] = new
        book.columns["diversion_eur_per_unit"][rows] = diversion
        self.end_exchanges(rows[new <= _EPS], "unprofitable")

    def flow_and_account(self) -> None:
        """Stage 6: quantities flow, the rest is landfilled or bought virgin; book everything."""
        active = self.book.operating()
        book = self.book
        flow = market.allocate_flows(
            book.supplier[active],
            book.receiver[active],
            book.stream[active],
            book.quantity_per_month[active],
            self.supply,
            self.need,
            self._kept(self._flow_groups),
        )
        self.flow = flow
        self.flow_rows = active
        self.indicators.record_account(
            accounting.account_flows(self, active, flow, self.month_prices)
        )

    def reevaluate_exchanges(self) -> None:
        """Stage 7: trust follows delivery; exchanges end when unprofitable, idle or distrusted."""
        book, month = self.book, self.current_month
        active = self.book.operating()
        if len(active) == 0:
            return
        columns = book.columns
        flow = self.flow
        delta = Companies.trust_after_delivery(
            columns["trust_delta"][active], flow, book.quantity_per_month[active], self.settings
        )
        columns["trust_delta"][active] = delta
        value = columns["value_eur_per_month"][active]
        columns["bad_months"][active] = np.where(value < 0, columns["bad_months"][active] + 1, 0)
        columns["idle_months"][active] = np.where(
            flow <= _EPS, columns["idle_months"][active] + 1, 0
        )
        contract_until = columns["contract_until"][active]
        under_contract = self.operator.renew_contracts(contract_until, value, month, self.authority)
        columns["contract_until"][active] = contract_until
        breach_cost = self.breach_cost_eur(under_contract)
        reneged = self.act_opportunistically(active, under_contract, breach_cost)
        delta = columns["trust_delta"][active]  # hold-ups cost the victims' trust
        bound = Companies.exit_bound(
            under_contract,
            value,
            columns["supplier_share"][active],
            np.maximum(contract_until - month, 0),
            breach_cost,
        )
        generalized_trust = self.companies.generalized_trust
        idle, unprofitable, distrusted = Companies.decide_exits(
            generalized_trust[book.supplier[active]] + delta,
            generalized_trust[book.receiver[active]] + delta,
            columns["idle_months"][active],
            columns["bad_months"][active],
            under_contract,
            self.settings,
            bound | reneged,
        )
        leaving = idle | unprofitable | distrusted
        if (leaving & under_contract).any():
            self.settle_exits(active, leaving & under_contract, breach_cost)
        if (leaving | reneged).any():
            self.end_exchanges(active[reneged], "reneged")
            self.end_exchanges(active[idle], "supply_failure")
            self.end_exchanges(active[unprofitable], "unprofitable")
            self.end_exchanges(active[distrusted], "lost_trust")
        self.companies.recover_reputation(self.settings.reputation_recovery_per_month)

    # --- opportunism, reputation and enforcement (docs/model.md, section 7.10a) ----------------

    def breach_cost_eur(self, under_contract: np.ndarray) -> np.ndarray:
        """What breaking each exchange's promise costs the offender (penalty and dispute).

        Under contract the offender pays the penalty and its side of the dispute over it;
        nothing without a contract or without a penalty (then nobody sues).
        """
        s = self.settings
        if s.contract_penalty_eur == 0:
            return np.zeros(len(under_contract))
        return np.where(under_contract, s.contract_penalty_eur + s.dispute_cost_eur, 0.0)

    def act_opportunistically(
        self, active: np.ndarray, under_contract: np.ndarray, breach_cost: np.ndarray
    ) -> np.ndarray:
        """Firms whose propensity comes up this month hold up or renege where it pays.

        A hold-up moves part of the victim's share of the value to the offender and costs the
        victim's trust in it; reneging ends the exchange. Either way the offender pays the
        contract's penalty, both sides the dispute, and third parties hear of it.

        Returns:
            Which of ``active`` are reneged (ended by the caller).
        """
        companies, book, month = self.companies, self.book, self.current_month
        s = self.settings
        reneged = np.zeros(len(active), dtype=bool)
        if not companies.opportunism.any():
            return reneged
        sides = np.stack([book.supplier[active], book.receiver[active]])
        considering = self.rng.random(sides.shape) < companies.opportunism[sides] / MONTHS_PER_YEAR
        if not considering.any():
            return reneged
        stream = book.stream[active]
        suppliers_of = np.count_nonzero(companies.base_supply > 0, axis=0)
        receivers_of = np.count_nonzero(companies.base_need > 0, axis=0)
        # Others who could take the partner's place: other receivers for the supplier, etc.
        alternatives = np.maximum(np.stack([receivers_of[stream], suppliers_of[stream]]) - 1, 0)
        supplier_share = book.supplier_share[active]
        value = book.value_eur_per_month[active]
        # Each side sank its part of the one-off cost, split as the surplus is (section 7.8).
        one_off = self.month_prices.one_off_eur[stream]
        sunk = np.stack([one_off * supplier_share, one_off * (1 - supplier_share)])
        breaching, offender, reneges, grab = Companies.choose_breaches(
            considering,
            Companies.bargaining_position(alternatives),
            np.stack([supplier_share, 1 - supplier_share]),
            value,
            sunk,
            alternatives,
            companies.valuation_annuity[sides],
            np.broadcast_to(breach_cost, sides.shape),
        )
        if not breaching.any():
            return reneged
        where = np.flatnonzero(breaching)
        columns = np.arange(len(active))
        bad = sides[offender, columns][where]
        hurt = sides[1 - offender, columns][where]
        self.settle_breaches(bad, hurt, breach_cost[where])
        held = where[~reneges[where]]
        if len(held):
            # The offender's share rises by what it grabs; the victim's trust falls.
            moved = np.divide(
                grab[held], value[held], out=np.zeros(len(held)), where=value[held] > 0
            )
            sign = np.where(offender[held] == 0, 1.0, -1.0)
            book.columns["supplier_share"][active[held]] = np.clip(
                supplier_share[held] + sign * moved, 0.0, 1.0
            )
            book.columns["trust_delta"][active[held]] -= s.trust_loss_on_failure
        reneged[where[reneges[where]]] = True
        companies.spread_breach(bad, hurt, self.tie_from, self.tie_to, month, s)
        kinds = np.where(reneges[where], "renege", "hold_up").tolist()
        self.breaches.extend(
            zip(
                [month] * len(where),
                bad.tolist(),
                hurt.tolist(),
                stream[where].tolist(),
                kinds,
                strict=True,
            )
        )
        self.indicators.record_breaches(len(where))
        return reneged

    def settle_breaches(self, offender: np.ndarray, victim: np.ndarray, cost: np.ndarray) -> None:
        """The offender pays the penalty and both sides their dispute where a contract ran."""
        s = self.settings
        disputed = cost > 0
        if not disputed.any():
            return
        benefit = self.companies.net_benefit_eur
        np.add.at(benefit, offender[disputed], -cost[disputed])
        np.add.at(benefit, victim[disputed], s.contract_penalty_eur - s.dispute_cost_eur)
        self.indicators.record_disputes(2 * s.dispute_cost_eur * int(disputed.sum()))

    def settle_exits(
        self, active: np.ndarray, leaving: np.ndarray, breach_cost: np.ndarray
    ) -> None:
        """Firms leaving a running contract pay its penalty to the partner (honest exits).

        The side that leaves is the one that loses most from the exchange (or trusts least).
        """
        book = self.book
        rows = np.flatnonzero(leaving)
        value = book.value_eur_per_month[active[rows]]
        share = book.supplier_share[active[rows]]
        trust_s = self.companies.generalized_trust[book.supplier[active[rows]]]
        trust_r = self.companies.generalized_trust[book.receiver[active[rows]]]
        supplier_leaves = np.where(
            value < 0, share * value <= (1 - share) * value, trust_s <= trust_r
        )
        supplier, receiver = book.supplier[active[rows]], book.receiver[active[rows]]
        self.settle_breaches(
            np.where(supplier_leaves, supplier, receiver),
            np.where(supplier_leaves, receiver, supplier),
            breach_cost[rows],
        )

    def end_exchanges(self, rows: np.ndarray, reason: str) -> None:
        """End exchanges, release their capacity and remember the pair's trust."""
        if len(rows) == 0:
            return
        book, month = self.book, self.current_month
        supplier, receiver, stream = book.supplier[rows], book.receiver[rows], book.stream[rows]
        np.add.at(self.committed_supply, (supplier, stream), -book.quantity_per_month[rows])
        np.add.at(self.committed_need, (receiver, stream), -book.quantity_per_month[rows])
        failed = reason not in ("unprofitable", "abandoned")
        loss = self.settings.trust_loss_on_failure if failed else 0.0
        # A reneged exchange costs the pair's trust as a failure does (section 7.10a).
        self.companies.remember(
            self.companies.pair_key(supplier, receiver), book.trust_delta[rows] - loss, month
        )
        book.end(rows, month, reason)
        self.indicators.record_ended(len(rows))
