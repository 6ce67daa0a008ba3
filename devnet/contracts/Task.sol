// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.24;

import "./Owned.sol";
import "./Node.sol";
import "./TaskQueue.sol";

/// Devnet Task contract: our own code with the external interface of the contract deployed
/// in 2024 (SPEC §3.2, §3.3) and the behaviour of §3.5–§3.9 and §7.
contract Task is Owned {
    struct TaskInfo {
        uint256 id;
        uint256 taskType;
        address creator;
        bytes32 taskHash;
        bytes32 dataHash;
        uint256 vramLimit;
        bool isSuccess;
        address[] selectedNodes;
        bytes32[] commitments; // by round; 0x…01 marks an error report (SPEC §7.5)
        bytes32[] nonces; // by round
        uint256[] commitmentSubmitRounds; // rounds in commit order
        bytes[] results; // by round
        uint256[] resultDisclosedRounds; // rounds in disclosure order (error reports included)
        address resultNode;
        bool aborted;
        uint256 timeout; // absolute unix time
        uint256 balance;
        uint256 totalBalance;
    }

    event TaskPending(uint256 taskId, uint256 taskType, address indexed creator, bytes32 taskHash, bytes32 dataHash);
    event TaskStarted(uint256 taskId, uint256 taskType, address indexed creator, address indexed selectedNode, bytes32 taskHash, bytes32 dataHash, uint256 round);
    event TaskResultCommitmentsReady(uint256 indexed taskId);
    event TaskSuccess(uint256 indexed taskId, bytes result, address indexed resultNode);
    event TaskAborted(uint256 indexed taskId, string reason);
    event TaskResultUploaded(uint256 indexed taskId);
    event TaskNodeSuccess(uint256 indexed taskId, address nodeAddress, uint256 fee);
    event TaskNodeSlashed(uint256 indexed taskId, address nodeAddress);
    event TaskNodeCancelled(uint256 indexed taskId, address nodeAddress);

    bytes32 private constant ERROR_COMMITMENT = bytes32(uint256(1));
    uint256 private constant SCORE_LIMIT = 50; // rewards [10, 9, 6] twice (SPEC §3.8)

    Node private immutable node;
    TaskQueue private immutable taskQueue;
    uint256 private timeout = 900;
    uint256 private distanceThreshold = 5;
    uint256 private nextTaskId = 1;
    uint256 public totalTasks;
    uint256 public totalSuccessTasks;
    uint256 public totalAbortedTasks;
    mapping(uint256 => TaskInfo) private tasks;
    mapping(address => uint256) private nodeTasks; // node → task it is still bound to

    constructor(address nodeContract, address taskQueueContract) {
        node = Node(nodeContract);
        taskQueue = TaskQueue(taskQueueContract);
    }

    function updateTimeout(uint256 t) external onlyOwner {
        timeout = t;
    }

    function updateDistanceThreshold(uint256 threshold) external onlyOwner {
        distanceThreshold = threshold;
    }

    // ---- application side ----

    function createTask(uint256 taskType, bytes32 taskHash, bytes32 dataHash, uint256 vramLimit, uint256 cap) external payable {
        require(taskType == 0 || taskType == 1, "Invalid task type");
        TaskQueue.QueuedTask memory q = TaskQueue.QueuedTask(nextTaskId++, taskType, msg.sender, taskHash, dataHash, vramLimit, msg.value, 0);
        totalTasks++;
        address[] memory picked = node.selectNodes(vramLimit, taskType == 1, taskHash);
        if (picked.length == 3) {
            emit TaskPending(q.id, taskType, msg.sender, taskHash, dataHash);
            _start(q, picked);
            return;
        }
        // Queued (SPEC §3.5). cap == 0 divides by zero right here: Panic(0x12), as deployed.
        q.price = msg.value / cap;
        if (taskQueue.size() >= taskQueue.getSizeLimit()) {
            // The cheapest queued task is dropped without refund, before our TaskPending.
            uint256 evicted = taskQueue.removeCheapestTask().id;
            totalAbortedTasks++;
            emit TaskAborted(evicted, "Task fee is too low");
        }
        emit TaskPending(q.id, taskType, msg.sender, taskHash, dataHash);
        taskQueue.pushTask(q.id, taskType, msg.sender, taskHash, dataHash, vramLimit, msg.value, q.price);
    }

    function cancelTask(uint256 taskId) external {
        TaskInfo storage t = tasks[taskId];
        if (t.id != 0) {
            require(msg.sender == t.creator || _roundOf(t, msg.sender) < 3, "Unauthorized to cancel task");
            require(block.timestamp > t.timeout, "Task has not exceeded the deadline yet");
            if (!t.aborted) {
                // Also after TaskSuccess when the result node never reported (SPEC §3.8).
                t.aborted = true;
                totalAbortedTasks++;
                emit TaskAborted(taskId, "Task Cancelled");
            }
            for (uint256 r = 0; r < 3; r++) {
                if (_bound(t, r)) {
                    emit TaskNodeCancelled(taskId, t.selectedNodes[r]);
                    _release(t, r);
                }
            }
            _finish(t); // refunds the unpaid remainder
            return;
        }
        if (taskQueue.include(taskId)) {
            TaskQueue.QueuedTask memory q = taskQueue.removeTask(taskId);
            totalAbortedTasks++;
            emit TaskAborted(taskId, "Task Cancelled");
            _send(q.creator, q.taskFee);
            return;
        }
        revert("Task not exist");
    }

    /// The full tuple while the task runs; all zeros when queued, finished or unknown (SPEC §3.7).
    function getTask(uint256 taskId) external view returns (TaskInfo memory) {
        return tasks[taskId];
    }

    function getNodeTask(address nodeAddress) external view returns (uint256) {
        return nodeTasks[nodeAddress];
    }

    // ---- node side (SPEC §7.3–§7.5) ----

    function submitTaskResultCommitment(uint256 taskId, uint256 round, bytes32 commitment, bytes32 nonce) external {
        TaskInfo storage t = _selectedRound(taskId, round);
        require(t.commitments[round] == 0, "Already submitted");
        require(!t.aborted, "Task is aborted");
        for (uint256 r = 0; r < 3; r++) {
            require(t.commitments[r] == 0 || t.nonces[r] != nonce, "Nonce already used");
        }
        t.commitments[round] = commitment;
        t.nonces[round] = nonce;
        t.commitmentSubmitRounds.push(round);
        _afterCommit(t);
    }

    function reportTaskError(uint256 taskId, uint256 round) external {
        TaskInfo storage t = _selectedRound(taskId, round);
        require(t.commitments[round] == 0, "Already submitted");
        // An error report is a commitment of 0x…01 plus an empty disclosure.
        t.commitments[round] = ERROR_COMMITMENT;
        t.commitmentSubmitRounds.push(round);
        t.resultDisclosedRounds.push(round);
        if (t.aborted) {
            _pay(t, round); // a late reporter of an error-reported task is paid
        } else {
            _afterCommit(t);
            _evaluate(t);
        }
        _finish(t);
    }

    function discloseTaskResult(uint256 taskId, uint256 round, bytes calldata result) external {
        TaskInfo storage t = _selectedRound(taskId, round);
        require(result.length > 0, "Invalid result");
        require(t.commitmentSubmitRounds.length == 3, "Commitments not ready");
        require(!t.aborted, "Task is aborted");
        require(t.results[round].length == 0, "Already disclosed");
        require(keccak256(abi.encodePacked(result, t.nonces[round])) == t.commitments[round], "Mismatch result and commitment");
        t.results[round] = result;
        t.resultDisclosedRounds.push(round);
        _evaluate(t);
        _finish(t);
    }

    function reportResultsUploaded(uint256 taskId, uint256 round) external {
        TaskInfo storage t = _selectedRound(taskId, round);
        require(t.isSuccess && t.resultNode == msg.sender, "Not result round");
        require(_bound(t, round), "Results already reported");
        emit TaskResultUploaded(taskId);
        _pay(t, round);
        _finish(t);
    }

    function nodeAvailableCallback(address) external {
        require(msg.sender == address(node), "Not called by the node contract");
        _dequeue();
    }

    // ---- internals ----

    function _selectedRound(uint256 taskId, uint256 round) private view returns (TaskInfo storage t) {
        t = tasks[taskId];
        require(t.id != 0, "Task not exist");
        require(round < 3, "Round not exist");
        require(t.selectedNodes[round] == msg.sender, "Not selected node");
    }

    function _start(TaskQueue.QueuedTask memory q, address[] memory picked) private {
        TaskInfo storage t = tasks[q.id];
        t.id = q.id;
        t.taskType = q.taskType;
        t.creator = q.creator;
        t.taskHash = q.taskHash;
        t.dataHash = q.dataHash;
        t.vramLimit = q.vramLimit;
        t.timeout = block.timestamp + timeout;
        t.balance = q.taskFee;
        t.totalBalance = q.taskFee;
        for (uint256 r = 0; r < 3; r++) {
            t.selectedNodes.push(picked[r]);
            t.commitments.push();
            t.nonces.push();
            t.results.push();
            nodeTasks[picked[r]] = q.id;
            node.startTask(picked[r]);
            emit TaskStarted(q.id, q.taskType, q.creator, picked[r], q.taskHash, q.dataHash, r);
        }
    }

    /// Starts queued tasks, highest price first (ties: oldest), while nodes allow (SPEC §3.5).
    function _dequeue() private {
        while (taskQueue.size() > 0 && node.availableCount() >= 3) {
            TaskQueue.QueuedTask[] memory q = taskQueue.getTasks();
            bool started;
            while (!started) {
                uint256 best = q.length;
                for (uint256 i = 0; i < q.length; i++) {
                    if (q[i].price == 0) continue; // price 0 (or already tried) never starts
                    if (best == q.length || q[i].price > q[best].price || (q[i].price == q[best].price && q[i].id < q[best].id)) best = i;
                }
                if (best == q.length) return;
                address[] memory picked = node.selectNodes(q[best].vramLimit, q[best].taskType == 1, q[best].taskHash);
                if (picked.length == 3) {
                    taskQueue.removeTask(q[best].id);
                    _start(q[best], picked);
                    started = true;
                } else {
                    // Whether nodes can be found does not depend on the seed: skip every
                    // task with the same requirements.
                    (uint256 vram, bool gpt) = (q[best].vramLimit, q[best].taskType == 1);
                    for (uint256 i = 0; i < q.length; i++) {
                        if (q[i].vramLimit == vram && (q[i].taskType == 1) == gpt) q[i].price = 0;
                    }
                }
            }
        }
    }

    function _afterCommit(TaskInfo storage t) private {
        if (t.commitmentSubmitRounds.length != 3) return;
        uint256 errors;
        for (uint256 r = 0; r < 3; r++) if (t.commitments[r] == ERROR_COMMITMENT) errors++;
        if (errors < 2) emit TaskResultCommitmentsReady(t.id);
    }

    /// Applies the agreement rules after each disclosure (SPEC §7.3).
    function _evaluate(TaskInfo storage t) private {
        uint256[] storage d = t.resultDisclosedRounds;
        uint256 n = d.length;
        if (t.isSuccess) {
            // A late disclosure is compared with the accepted result.
            uint256 late = d[n - 1];
            if (_agree(t.results[_roundOf(t, t.resultNode)], t.results[late], t.taskType)) _pay(t, late);
            else _slash(t, late);
        } else if (n == 2) {
            if (_agree(t.results[d[0]], t.results[d[1]], t.taskType)) _decide(t, d[0], d[1], 3);
        } else if (n == 3) {
            if (_agree(t.results[d[0]], t.results[d[2]], t.taskType)) _decide(t, d[0], d[2], d[1]);
            else if (_agree(t.results[d[1]], t.results[d[2]], t.taskType)) _decide(t, d[1], d[2], d[0]);
            else {
                t.aborted = true;
                totalAbortedTasks++;
                emit TaskAborted(t.id, "Task result illegal");
                for (uint256 r = 0; r < 3; r++) {
                    emit TaskNodeCancelled(t.id, t.selectedNodes[r]);
                    _release(t, r);
                }
            }
        }
    }

    /// Two disclosures agree: `first` is the earlier one, `odd` (3 = none) the outvoted one.
    function _decide(TaskInfo storage t, uint256 first, uint256 second, uint256 odd) private {
        if (t.results[first].length == 0) {
            // Two error reports agree (SPEC §3.8, §7.5): reporters paid, real results slashed,
            // nodes that have not committed yet stay bound (they may still report).
            t.aborted = true;
            totalAbortedTasks++;
            emit TaskAborted(t.id, "Task error reported");
            for (uint256 r = 0; r < 3; r++) {
                if (!_bound(t, r)) continue;
                if (t.commitments[r] == ERROR_COMMITMENT) _pay(t, r);
                else if (t.commitments[r] != 0) _slash(t, r);
            }
            return;
        }
        t.isSuccess = true;
        t.resultNode = t.selectedNodes[first];
        totalSuccessTasks++;
        emit TaskSuccess(t.id, t.results[first], t.resultNode);
        _pay(t, second);
        if (odd < 3) _slash(t, odd);
    }

    function _agree(bytes memory a, bytes memory b, uint256 taskType) private view returns (bool) {
        if (a.length != b.length) return false;
        if (taskType != 0) return keccak256(a) == keccak256(b); // GPT: byte-identical
        if (a.length % 8 != 0) return false;
        // SD: Hamming distance below the threshold in every 8-byte perceptual hash.
        for (uint256 i = 0; i < a.length; i += 8) {
            uint256 x;
            assembly {
                x := shr(192, xor(mload(add(add(a, 32), i)), mload(add(add(b, 32), i))))
            }
            uint256 bits;
            while (x != 0) {
                x &= x - 1;
                bits++;
            }
            if (bits >= distanceThreshold) return false;
        }
        return true;
    }

    /// Pays a node totalBalance × score / 50, score = commit-order + disclose-order reward
    /// (SPEC §3.8); the last node settled takes a remainder below 3 wei.
    function _pay(TaskInfo storage t, uint256 round) private {
        uint256 score = _reward(_indexOf(t.commitmentSubmitRounds, round)) + _reward(_indexOf(t.resultDisclosedRounds, round));
        uint256 fee = (t.totalBalance * score) / SCORE_LIMIT;
        if (fee > t.balance) fee = t.balance;
        t.balance -= fee;
        if (t.balance < 3 && _boundCount(t) == 1) {
            fee += t.balance;
            t.balance = 0;
        }
        address a = t.selectedNodes[round];
        _release(t, round);
        emit TaskNodeSuccess(t.id, a, fee);
        _send(a, fee);
    }

    /// The node's stake goes to the Node owner; its share stays for the creator.
    function _slash(TaskInfo storage t, uint256 round) private {
        address a = t.selectedNodes[round];
        delete nodeTasks[a];
        node.slash(a);
        emit TaskNodeSlashed(t.id, a);
    }

    function _release(TaskInfo storage t, uint256 round) private {
        address a = t.selectedNodes[round];
        delete nodeTasks[a];
        node.finishTask(a);
    }

    /// Once no node is bound any more: refund what is left to the creator and delete the task.
    /// Then freed nodes may start queued tasks.
    function _finish(TaskInfo storage t) private {
        if (_boundCount(t) == 0) {
            uint256 id = t.id;
            address creator = t.creator;
            uint256 left = t.balance;
            delete tasks[id];
            _send(creator, left);
        }
        _dequeue();
    }

    function _bound(TaskInfo storage t, uint256 round) private view returns (bool) {
        return nodeTasks[t.selectedNodes[round]] == t.id;
    }

    function _boundCount(TaskInfo storage t) private view returns (uint256 c) {
        for (uint256 r = 0; r < 3; r++) if (_bound(t, r)) c++;
    }

    function _roundOf(TaskInfo storage t, address a) private view returns (uint256) {
        for (uint256 r = 0; r < 3; r++) if (t.selectedNodes[r] == a) return r;
        return 3;
    }

    function _indexOf(uint256[] storage list, uint256 round) private view returns (uint256) {
        for (uint256 i = 0; i < list.length; i++) if (list[i] == round) return i;
        return 3;
    }

    function _reward(uint256 order) private pure returns (uint256) {
        if (order == 0) return 10;
        if (order == 1) return 9;
        if (order == 2) return 6;
        return 0;
    }

    function _send(address to, uint256 amount) private {
        if (amount == 0) return;
        (bool ok, ) = to.call{value: amount}("");
        require(ok, "Token transfer failed");
    }
}
